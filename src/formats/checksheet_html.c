#include "formats/checksheet_html.h"

#include <string.h>

#include "formats/fhirtime.h"
#include "formats/json.h"
#include "util/clock.h"

#define JST_OFFSET_MIN (9 * 60)

static const char *sub(json_object *o, const char *key, const char *inner)
{
    json_object *m;
    return json_object_object_get_ex(o, key, &m) ? json_get_str(m, inner) : NULL;
}

static const struct {
    const char *status, *ja;
} STATUS_JA[] = {
    {"implemented", "実施している"},
    {"equivalent", "代替措置で実施している"},
    {"not-applicable", "該当しない"},
};

/* Anything but a known answer reads as not done: the page never claims more. */
static const char *status_ja(const char *s)
{
    for (size_t i = 0; s && i < sizeof STATUS_JA / sizeof STATUS_JA[0]; i++)
        if (!strcmp(s, STATUS_JA[i].status))
            return STATUS_JA[i].ja;
    return "実施していない";
}

/* A day as people in Japan say it, "2026年12月7日": an instant stored in UTC
 * is a day early for the first nine hours of every Japanese day. */
static int day_ja(struct buf *b, const char *when)
{
    int64_t lo, hi;
    char text[32];
    if (!when || fhirtime_parse(when, FHIRTIME_DATETIME, JST_OFFSET_MIN, &lo, &hi))
        return buf_markup_escape(b, when);
    clock_format_ja_day(lo, JST_OFFSET_MIN, text);
    return buf_puts(b, text);
}

static int item_row(struct buf *b, json_object *it)
{
    json_object *ev = NULL;
    json_object_object_get_ex(it, "evidence", &ev);
    int computed = ev && json_object_get_boolean(json_object_object_get(ev, "computed"));
    const char *text = ev ? json_get_str(ev, "text") : NULL, *date = ev ? json_get_str(ev, "date") : NULL,
               *doc = ev ? json_get_str(ev, "document") : NULL, *reason = json_get_str(it, "reason");
    return buf_puts(b, "<tr><td>") || buf_markup_escape(b, json_get_str(it, "id")) || buf_puts(b, "</td><td>") ||
           buf_markup_escape(b, json_get_str(it, "clause")) || buf_puts(b, "</td><td>") || buf_markup_escape(b, sub(it, "question", "ja")) ||
           buf_puts(b, "<br><span lang=\"en\">") || buf_markup_escape(b, sub(it, "question", "en")) ||
           buf_puts(b, "</span></td><td>") || buf_markup_escape(b, status_ja(json_get_str(it, "status"))) ||
           buf_puts(b, "<br><span lang=\"en\">") || buf_markup_escape(b, json_get_str(it, "status")) || buf_puts(b, "</span></td><td>") ||
           buf_puts(b, computed ? "システムが確認（自動）: " : "責任者の回答: ") || buf_markup_escape(b, text) ||
           (date && (buf_puts(b, "（") || day_ja(b, date) || buf_puts(b, "）"))) || (doc && (buf_puts(b, " / ") || buf_markup_escape(b, doc))) ||
           (reason && (buf_puts(b, "<br>理由 / reason: ") || buf_markup_escape(b, reason))) || buf_puts(b, "</td></tr>\n");
}

int checksheet_html(json_object *sheet, struct buf *b)
{
    json_object *items = json_object_object_get(sheet, "items"), *reasons = json_object_object_get(sheet,
                                                                                                    "not_implemented"),
                *others = json_object_object_get(sheet, "others");
    if (buf_puts(b, "<!doctype html>\n<html lang=\"ja\">\n<head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>チェックシート（自己点検の結果） / Checksheet</title>"
                    "<link rel=\"stylesheet\" href=\"/app.css\"></head>\n<body>\n"
                    "<header class=\"top\"><a class=\"brand\" href=\"/\">PHR</a>"
                    "<nav aria-label=\"メニュー\"><a href=\"/#/\">ホーム <span lang=\"en\">/ Home</span></a></nav></header>\n"
                    "<main>\n<h1>PHRサービス提供者チェックシート <span lang=\"en\">/ Self-assessment checksheet</span></h1>\n<p>") ||
        buf_markup_escape(b, sub(sheet, "guideline", "title")) || buf_puts(b, "（") || buf_markup_escape(b, sub(sheet, "guideline", "version")) ||
        buf_puts(b, "）</p>\n<p class=\"muted\">点検日 / assessed: ") || day_ja(b, json_get_str(sheet, "assessed_at")) ||
        buf_puts(b, " ・ 承認 / approved: ") || day_ja(b, json_get_str(sheet, "approved_at")) || buf_puts(b, " (") ||
        buf_markup_escape(b, json_get_str(sheet, "approved_by")) || buf_puts(b, ")</p>\n<p>") ||
        buf_markup_escape(b, sub(sheet, "wording", "ja")) || buf_puts(b, "<br><span lang=\"en\">") ||
        buf_markup_escape(b, sub(sheet, "wording", "en")) ||
        buf_printf(b, "</span></p>\n<p><a href=\"/checksheet/%lld.json\">JSON</a></p>\n",
                   (long long)json_object_get_int64(json_object_object_get(sheet, "id"))) ||
        buf_puts(b, "<div class=\"table-wrap\"><table>\n<thead><tr><th>項目</th><th>指針</th><th>確認事項 / question</th><th>状況 / status</th>"
                    "<th>根拠 / evidence</th></tr></thead>\n<tbody>\n"))
        return -1;
    for (size_t i = 0; items && i < json_object_array_length(items); i++)
        if (item_row(b, json_object_array_get_idx(items, i)))
            return -1;
    if (buf_puts(b, "</tbody>\n</table></div>\n<h2>実施していない項目とその理由 <span lang=\"en\">/ Not implemented, and why</span></h2>\n<ul>\n"))
        return -1;
    for (size_t i = 0; reasons && i < json_object_array_length(reasons); i++) {
        json_object *r = json_object_array_get_idx(reasons, i);
        if (buf_puts(b, "<li>") || buf_markup_escape(b, json_get_str(r, "id")) || buf_puts(b, ": ") ||
            buf_markup_escape(b, json_get_str(r, "reason")) || buf_puts(b, "</li>\n"))
            return -1;
    }
    if (buf_puts(b, "</ul>\n<h2>これまでの点検結果 <span lang=\"en\">/ Earlier assessments</span></h2>\n<ul>\n"))
        return -1;
    for (size_t i = 0; others && i < json_object_array_length(others); i++) {
        json_object *o = json_object_array_get_idx(others, i);
        long long id = (long long)json_object_get_int64(json_object_object_get(o, "id"));
        if (buf_printf(b, "<li><a href=\"/checksheet/%lld\">", id) || day_ja(b, json_get_str(o, "assessed_at")) ||
            buf_puts(b, "</a> ") || buf_markup_escape(b, json_get_str(o, "guideline_version")) || buf_puts(b, "</li>\n"))
            return -1;
    }
    return buf_puts(b, "</ul>\n</main>\n<footer class=\"bottom\">"
                       "<a href=\"/#/policy/terms\">利用規約 <span lang=\"en\">/ Terms</span></a>"
                       "<a href=\"/#/policy/privacy\">プライバシーポリシー <span lang=\"en\">/ Privacy policy</span></a>"
                       "<a href=\"/#/purposes\">利用目的 <span lang=\"en\">/ Purposes</span></a>"
                       "<a href=\"/checksheet\">チェックシート <span lang=\"en\">/ Checksheet</span></a></footer>\n"
                       "</body>\n</html>\n");
}

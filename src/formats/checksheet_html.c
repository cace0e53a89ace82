#include "formats/checksheet_html.h"

#include <string.h>

#include "formats/json.h"

static const char *sub(json_object *o, const char *key, const char *inner)
{
    json_object *m;
    return json_object_object_get_ex(o, key, &m) ? json_get_str(m, inner) : NULL;
}

static const char *status_ja(const char *s)
{
    if (!s)
        return "";
    if (!strcmp(s, "implemented"))
        return "実施している";
    if (!strcmp(s, "equivalent"))
        return "代替措置で実施している";
    if (!strcmp(s, "not-applicable"))
        return "該当しない";
    return "実施していない";
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
           (date && (buf_puts(b, " ") || buf_markup_escape(b, date))) || (doc && (buf_puts(b, " / ") || buf_markup_escape(b, doc))) ||
           (reason && (buf_puts(b, "<br>理由 / reason: ") || buf_markup_escape(b, reason))) || buf_puts(b, "</td></tr>\n");
}

int checksheet_html(json_object *sheet, struct buf *b)
{
    json_object *items = json_object_object_get(sheet, "items"), *reasons = json_object_object_get(sheet,
                                                                                                    "not_implemented"),
                *others = json_object_object_get(sheet, "others");
    if (buf_puts(b, "<!doctype html>\n<html lang=\"ja\">\n<head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>チェックシート（自己点検の結果） / Checksheet</title></head>\n<body>\n"
                    "<h1>PHRサービス提供者チェックシート <span lang=\"en\">/ Self-assessment checksheet</span></h1>\n<p>") ||
        buf_markup_escape(b, sub(sheet, "guideline", "title")) || buf_puts(b, "（") || buf_markup_escape(b, sub(sheet, "guideline", "version")) ||
        buf_puts(b, "）</p>\n<p>点検日 / assessed: ") || buf_markup_escape(b, json_get_str(sheet, "assessed_at")) ||
        buf_puts(b, " ・ 承認 / approved: ") || buf_markup_escape(b, json_get_str(sheet, "approved_at")) || buf_puts(b, " (") ||
        buf_markup_escape(b, json_get_str(sheet, "approved_by")) || buf_puts(b, ")</p>\n<p>") ||
        buf_markup_escape(b, sub(sheet, "wording", "ja")) || buf_puts(b, "<br><span lang=\"en\">") ||
        buf_markup_escape(b, sub(sheet, "wording", "en")) ||
        buf_printf(b, "</span></p>\n<p><a href=\"/checksheet/%lld.json\">JSON</a></p>\n",
                   (long long)json_object_get_int64(json_object_object_get(sheet, "id"))) ||
        buf_puts(b, "<table>\n<thead><tr><th>項目</th><th>指針</th><th>確認事項 / question</th><th>状況 / status</th>"
                    "<th>根拠 / evidence</th></tr></thead>\n<tbody>\n"))
        return -1;
    for (size_t i = 0; items && i < json_object_array_length(items); i++)
        if (item_row(b, json_object_array_get_idx(items, i)))
            return -1;
    if (buf_puts(b, "</tbody>\n</table>\n<h2>実施していない項目とその理由 <span lang=\"en\">/ Not implemented, and why</span></h2>\n<ul>\n"))
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
        if (buf_printf(b, "<li><a href=\"/checksheet/%lld\">", id) || buf_markup_escape(b, json_get_str(o, "assessed_at")) ||
            buf_puts(b, "</a> ") || buf_markup_escape(b, json_get_str(o, "guideline_version")) || buf_puts(b, "</li>\n"))
            return -1;
    }
    return buf_puts(b, "</ul>\n<footer><a href=\"/api/v1/policies\">利用規約・プライバシーポリシー / Terms and "
                       "privacy policy</a> ・ <a href=\"/checksheet\">チェックシート / Checksheet</a></footer>\n"
                       "</body>\n</html>\n");
}

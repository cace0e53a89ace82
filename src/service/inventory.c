/* The data inventory (R2.6): every data item held, read from the live
 * schema, with where it is, how it is protected, which purposes cover it,
 * who can reach it and how long it is kept.
 *
 * The list of items is the schema itself; what this file adds is what the
 * schema cannot say. A table or column the descriptions below do not know
 * is reported as unclassified and makes the inventory fail, so a migration
 * cannot add data that nobody has accounted for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"

struct item {
    const char *table;
    const char *ja, *en;
    const char *category;       /* health, account, consent, provision, staff, audit, security, policy */
    int person_data;            /* about an identifiable person */
    const char *sealed;         /* columns encrypted at rest, comma-separated */
    const char *hashed;         /* columns stored only as a hash */
    const char *reach;          /* who can reach it, by role */
    const char *retention;
};

static const struct item items[] = {
    {"records", "健康記録（バイタル等）：本文と原本は暗号化", "Health records (vitals): body and original sealed", "health", 1,
     "body,original", "original_mac", "the person; handlers under a stated reason; recipients under a live consent",
     "until the person erases them (by kind or with the account), or retention does"},
    {"data_keys", "利用者ごとのデータ鍵（マスター鍵でラップ、keys.db に別置）",
     "Per-person data keys, wrapped by the master key, kept apart in keys.db", "security", 1, "wrapped", "",
     "the service only", "as long as the person's records; destroyed on erasure (crypto-shredding)"},
    {"persons", "利用者アカウント", "Person accounts", "account", 1, "", "pw_hash", "the person; the service",
     "until the account is erased; then a tombstone without login or password"},
    {"sessions", "利用者のセッション", "Person sessions", "account", 1, "", "token_hash", "the service",
     "until logout or expiry (idle 30 min, 12 h); expired ones pruned by retention"},
    {"second_factors", "利用者の二段階認証の鍵（本人のデータ鍵で暗号化）",
     "Persons' second-factor (TOTP) keys, sealed with the person's data key", "account", 1, "sealed", "",
     "the service (to check a code); never shown again after set-up",
     "until the person turns it off or the operator removes it; destroyed with the account on erasure"},
    {"second_factor_codes", "利用者の二段階認証の回復コード（ハッシュのみ、各1回）",
     "Persons' second-factor recovery codes (hashes only, each used once)", "account", 1, "", "code_hash",
     "the service (to check a code); shown to the person once",
     "until new codes replace them, the second factor is turned off, or the account is erased"},
    {"demographics", "利用者の氏名・カナ・性別・生年月日・住所・電話・保険証の番号（最新の健診・お薬手帳ファイルまたは本人の訂正から、本人のデータ鍵で暗号化）",
     "Persons' name (and in kana), sex, date of birth, address, phone and insurance card numbers, from their newest "
     "imported checkup or お薬手帳 file or their own correction, sealed with the person's data key",
     "health", 1, "sealed", "",
     "the person (to see and correct; in the disclosure); the documents exported for them; the service for "
     "anonymised data sets (sex, birth date, postal code and prefecture only)",
     "replaced by a later file's or the person's correction; destroyed with the account on erasure"},
    {"demographics_history", "利用者の基本情報の訂正・更新前の内容（本人のデータ鍵で暗号化）",
     "What a person's demographics said before a later file or their correction replaced them, sealed with the "
     "person's data key",
     "health", 1, "sealed", "", "the person (to see; in the disclosure)",
     "kept with the account (R3.12: what was corrected is kept); destroyed with the account on erasure"},
    {"anonymised_sets", "作成した匿名加工情報：公表する項目、加工の方法（責任者と情報資産の管理者のみ）、表（暗号化）",
     "Anonymised data sets made: what is published of each, its processing method (the asset manager's and the "
     "security officer's only), and its table, sealed under a key of its own",
     "policy", 0, "table_sealed,table_key", "", "everyone (what is published); the asset manager and the security officer (the method); "
     "the asset manager (the table, to provide)",
     "kept: what was published stays published"},
    {"anonymised_provisions", "匿名加工情報の第三者提供の記録（提供先・方法・日時・担当）",
     "Provisions of anonymised data sets to third parties: recipient, method, when, by whom", "policy", 0, "", "",
     "everyone (the method and when, with the data set); the asset manager and the security officer",
     "kept: what was published stays published"},
    {"login_throttle", "ログイン失敗の回数", "Failed sign-in counts", "security", 0, "", "",
     "the service", "until a successful sign-in; pruned by retention after a day"},
    {"documents", "利用規約・概要・プライバシーポリシーの全版", "Every version of the terms, summary and privacy policy",
     "policy", 0, "", "", "everyone (public)", "kept: consents name the texts shown"},
    {"purposes", "利用目的の全版", "Every version of the purposes of use", "policy", 0, "", "", "everyone (public)",
     "kept: consents name the versions"},
    {"purpose_current", "現在の利用目的（導出）", "Purposes in force (derived)", "policy", 0, "", "", "everyone (public)",
     "as the purposes"},
    {"consents", "同意の台帳（追記のみ）", "The consent ledger (append-only)", "consent", 1, "", "",
     "the person; the operator answering an inquiry", "kept as evidence of consent; erased with the account"},
    {"consent_state", "現在の同意状態（台帳から導出）", "Current consent state (derived from the ledger)", "consent", 1, "", "",
     "the gate", "as the ledger"},
    {"suspensions", "利用停止の台帳（追記のみ）", "The suspension ledger (append-only)", "consent", 1, "", "",
     "the person; the operator", "as the consent ledger"},
    {"suspension_state", "現在の利用停止（導出）", "Suspensions in force (derived)", "consent", 1, "", "", "the gate",
     "as the ledger"},
    {"recipients", "外部組織の台帳（提供先・委託先・提携先）", "Outside organisations (recipients, processors, partners)",
     "provision", 0, "", "secret_hash", "the operator",
     "while they work with the provider, and as long as provision records name them"},
    {"agreements", "提供先との契約・認証（追記のみ）", "Agreements and certifications of recipients (append-only)",
     "provision", 0, "", "", "the operator; auditors", "kept"},
    {"client_tokens", "提供先クライアントのトークン（付与した権限の範囲とともに）",
     "Recipients' client tokens, with the scopes granted", "security", 0, "", "token_hash", "the service",
     "five minutes; expired ones pruned by retention"},
    {"client_assertions", "提供先クライアントが使用した署名付きアサーション（再使用の拒否のため）",
     "Signed assertions recipients' clients used (to refuse a replay)", "security", 0, "", "", "the service",
     "until the assertion expires (at most six minutes); then pruned by retention"},
    {"app_clients", "提供先のアプリの OAuth 登録（戻り先 URI、許可するオリジン、公開/機密）",
     "Recipients' apps as OAuth clients (redirect URIs, allowed origins, public or confidential)", "provision", 0, "",
     "", "the operator; asset managers", "while the app is registered"},
    {"app_grants", "本人が承認したアプリ（範囲・利用目的・承認と取消の日時）",
     "Apps a person approved (scopes, purposes, when approved and revoked)", "consent", 1, "", "",
     "the person; the service", "kept as the person's list and evidence; erased with the account"},
    {"oauth_codes", "アプリへの認可コード（ハッシュのみ、1回限り）",
     "Authorization codes given to apps (hashes only, used once)", "security", 1, "", "code_hash", "the service",
     "one minute; expired ones pruned by retention; erased with the account"},
    {"refresh_tokens", "アプリのリフレッシュトークン（ハッシュのみ、使用ごとに更新）",
     "Apps' refresh tokens (hashes only, replaced on each use)", "security", 1, "", "token_hash", "the service",
     "90 days or until the person revokes the app; pruned by retention; erased with the account"},
    {"recipient_groups", "提供先の団体", "Recipient groups", "provision", 0, "", "", "the operator", "kept"},
    {"group_changes", "団体の構成の履歴（追記のみ）", "Group membership history (append-only)", "provision", 0, "", "",
     "the operator", "kept"},
    {"group_members", "団体の現在の構成（導出）", "Current group membership (derived)", "provision", 0, "", "", "the gate",
     "as the history"},
    {"provisions", "第三者提供の記録（個人情報保護法第29条）", "Provision records (APPI Art. 29)", "provision", 1, "", "",
     "the person; auditors", "3 years (1095 days), then erased by retention"},
    {"audit", "取扱い履歴（ハッシュチェーン、健康値なし）", "The handling history (hash chain, no health values)", "audit", 1,
     "", "", "security officer; auditors; the person (others' accesses, by role)",
     "kept; entries refer to a random person id"},
    {"audit_checkpoints", "取扱い履歴の署名付きチェックポイント", "Signed checkpoints of the handling history", "audit", 0, "",
     "", "auditors (with the public key)", "kept"},
    {"staff", "職員アカウント（TOTP 鍵はマスター鍵で封印）", "Staff accounts (TOTP key sealed by the master key)", "staff", 0,
     "totp_sealed", "pw_hash", "asset manager (the operator)", "while employed; disabled after 90 days unused"},
    {"staff_recovery", "職員のリカバリーコード", "Staff recovery codes", "staff", 0, "", "code_hash", "the service",
     "until used or the account is removed"},
    {"staff_sessions", "職員のセッション", "Staff sessions", "staff", 0, "", "token_hash", "the service",
     "until logout or expiry (idle 15 min, 8 h)"},
    {"access_reasons", "取扱者のアクセス理由", "Handlers' access reasons", "staff", 1, "", "",
     "security officer; auditors (via the handling history)", "kept with the handling history they explain"},
    {"rate_counts", "リクエスト数（クライアントアドレス・アカウントのハッシュ別、分単位）",
     "Request counts per hashed client address or account, per minute", "security", 0, "", "key", "the service",
     "the current and previous minute; older ones pruned at once"},
    {"erasures", "消去の依頼と実行の記録（件数のみ、健康値なし）",
     "Erasure requests and their execution (counts only, no health values)", "account", 1, "", "",
     "the person; the operator; auditors", "kept as the record that the data was erased"},
    {"notices", "利用者へのお知らせ（長期未利用・サービス終了）", "Notices to persons (inactivity, termination)",
     "account", 1, "", "", "the person (at sign-in); the notice hook", "until resolved; erased with the account"},
    {"terminations", "サービス終了の告知（追記のみ）", "The announced termination of the service (append-only)",
     "policy", 0, "", "", "everyone (notices); the operator", "kept"},
    {"retention_runs", "保存期間ルールの実行記録（件数のみ）", "Retention runs (counts only)", "audit", 0, "", "",
     "the operator; auditors", "kept (evidence that retention ran)"},
    {"checksheet_answers", "チェックシートの組織的項目への責任者の回答（追記のみ）",
     "The security officer's answers to the checksheet's organisational items (append-only)", "audit", 0, "", "",
     "the operator; security officer", "kept"},
    {"checksheet_assessments", "チェックシートの点検結果（承認されたものは公開）",
     "Checksheet assessments (approved ones are public)", "audit", 0, "", "", "everyone, once approved",
     "kept (the published history)"},
    {"bulk_exports", "他の事業者による一括出力の依頼（種類・時刻・要素・指定された利用者ID、健康値なし）",
     "Bulk exports started by other providers' clients (types, times, elements, the person ids a client named; no "
     "health values)", "provision", 1,
     "", "", "the recipient that started it; the operator; auditors",
     "the files expire 24 hours after the request; the row is kept with the provision records' history"},
    {"incidents", "インシデントの記録（追記のみ）", "Incident records (append-only)", "security", 0, "", "",
     "the operator; security officer", "kept"},
};

static const struct item *find(const char *table)
{
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
        if (!strcmp(items[i].table, table))
            return &items[i];
    return NULL;
}

static int listed(const char *list, const char *column)
{
    size_t n = strlen(column);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && !strncmp(p, column, n))
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

struct table_cols {
    char name[64];
    struct buf cols;             /* JSON array body */
    struct buf md;               /* Markdown list */
};

struct collect {
    struct table_cols *t;
    size_t n, cap;
    int unclassified;
    struct buf problems;
};

static int got_column(void *arg, const char *table, const char *column)
{
    struct collect *c = arg;
    if (!c->n || strcmp(c->t[c->n - 1].name, table)) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 32;
            struct table_cols *p = realloc(c->t, cap * sizeof *p);
            if (!p)
                return PHR_ENOMEM;
            c->t = p;
            c->cap = cap;
        }
        struct table_cols *t = &c->t[c->n++];
        snprintf(t->name, sizeof t->name, "%s", table);
        buf_init(&t->cols);
        buf_init(&t->md);
        if (!find(table)) {
            c->unclassified++;
            if (buf_printf(&c->problems, "%stable %s", c->problems.len ? ", " : "", table))
                return PHR_ENOMEM;
        }
    }
    struct table_cols *t = &c->t[c->n - 1];
    const struct item *it = find(table);
    const char *prot = !it ? "unclassified" : listed(it->sealed, column) ? "sealed" : listed(it->hashed, column) ? "hashed"
                                                                                                                : "plain";
    if ((t->cols.len && buf_puts(&t->cols, ",")) || buf_printf(&t->cols, "{\"name\":\"%s\",\"protection\":\"%s\"}", column, prot) ||
        buf_printf(&t->md, "%s`%s`%s", t->md.len ? ", " : "", column, !strcmp(prot, "plain") ? "" : !strcmp(prot, "sealed") ? " (sealed)" : !strcmp(prot, "hashed") ? " (hashed)" : " (UNCLASSIFIED)"))
        return PHR_ENOMEM;
    return PHR_OK;
}

struct purposes_ctx {
    struct buf *all, *provision;
};

static int got_purpose(void *arg, const struct purpose_row *p)
{
    struct purposes_ctx *c = arg;
    if (!strcmp(p->change, "retired"))
        return PHR_OK;
    struct buf *b = p->recipient_group ? c->provision : c->all;
    return (b->len && buf_puts(b, ",")) || buf_puts(b, p->code) ? PHR_ENOMEM : PHR_OK;
}

/* The purposes that cover a category of data. */
static const char *purposes_for(const struct item *it, struct buf *all, struct buf *provision, struct buf *tmp)
{
    tmp->len = 0;
    if (!strcmp(it->category, "health")) {
        if (buf_puts(tmp, buf_cstr(all)) ||
            (provision->len && buf_printf(tmp, "%s%s", tmp->len ? "," : "", buf_cstr(provision))))
            return "(out of memory)";
        return buf_cstr(tmp);
    }
    if (!strcmp(it->category, "provision"))
        return buf_cstr(provision);
    if (it->person_data)
        return "service";
    return "";
}

static void collect_free(struct collect *c)
{
    for (size_t i = 0; i < c->n; i++) {
        buf_free(&c->t[i].cols);
        buf_free(&c->t[i].md);
    }
    free(c->t);
    buf_free(&c->problems);
}

int inventory(struct service *svc, int markdown, struct buf *out, int *unclassified)
{
    struct collect c = {0};
    struct buf all, provision, tmp;
    buf_init(&all);
    buf_init(&provision);
    buf_init(&tmp);
    buf_init(&c.problems);
    struct purposes_ctx pc = {&all, &provision};
    struct store *rd;
    int err = service_reader(svc, &rd);
    if (err)
        return err;
    err = store_schema_columns(rd, got_column, &c);
    if (!err)
        err = store_purpose_current(rd, got_purpose, &pc);
    service_reader_done(svc, rd);
    *unclassified = c.unclassified;
    char now[32];
    int bad = 0;
    clock_format_ms(clock_now_ms(), now);
    if (!err && markdown) {
        bad |= buf_printf(out, "# データ項目の一覧 / Data inventory\n\nGenerated from the live schema at %s.\n\n", now);
        for (size_t i = 0; i < c.n; i++) {
            const struct item *it = find(c.t[i].name);
            if (!it) {
                bad |= buf_printf(out, "## `%s` — UNCLASSIFIED\n\nColumns: %s\n\n", c.t[i].name, buf_cstr(&c.t[i].md));
                continue;
            }
            const char *purp = purposes_for(it, &all, &provision, &tmp);
            bad |= buf_printf(out,
                       "## `%s` — %s / %s\n\n- category: %s%s\n- columns: %s\n- purposes: %s\n- reached by: %s\n"
                       "- retention: %s\n\n",
                       it->table, it->ja, it->en, it->category, it->person_data ? " (about a person)" : "",
                       buf_cstr(&c.t[i].md), *purp ? purp : "-", it->reach, it->retention);
        }
        if (c.unclassified)
            bad |= buf_printf(out, "**Unclassified:** %s\n", buf_cstr(&c.problems));
    } else if (!err) {
        bad |= buf_printf(out, "{\"generated_at\":\"%s\",\"items\":[", now);
        for (size_t i = 0; i < c.n; i++) {
            const struct item *it = find(c.t[i].name);
            bad |= buf_printf(out, "%s{\"table\":\"%s\",\"classified\":%s,\"columns\":[%s]", i ? "," : "", c.t[i].name,
                       it ? "true" : "false", buf_cstr(&c.t[i].cols));
            if (it) {
                bad |= buf_puts(out, ",\"description\":{\"ja\":");
                bad |= buf_json_str(out, it->ja);
                bad |= buf_puts(out, ",\"en\":");
                bad |= buf_json_str(out, it->en);
                bad |= buf_printf(out, "},\"category\":\"%s\",\"person_data\":%s,\"purposes\":", it->category,
                           it->person_data ? "true" : "false");
                bad |= buf_json_str(out, purposes_for(it, &all, &provision, &tmp));
                bad |= buf_puts(out, ",\"reached_by\":");
                bad |= buf_json_str(out, it->reach);
                bad |= buf_puts(out, ",\"retention\":");
                bad |= buf_json_str(out, it->retention);
            }
            bad |= buf_puts(out, "}");
        }
        bad |= buf_printf(out, "],\"unclassified\":%d}", c.unclassified);
    }
    if (!err && bad)
        err = PHR_ENOMEM;
    collect_free(&c);
    buf_free(&all);
    buf_free(&provision);
    buf_free(&tmp);
    return err;
}

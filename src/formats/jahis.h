/* JAHIS 電子版お薬手帳 text (JAHISTC01…JAHISTC12, 技術文書 24-104): read
 * and checked into the dispensings and the OTC medicines it records. The
 * text may be UTF-8 or Shift_JIS (CP932), with LF or CRLF line ends and an
 * MS-DOS end-of-file mark; the parts of data split over several QR codes
 * (record 911) are joined when all of them are given together.
 *
 * Records the service does not map (notebook memos 4, the pharmacist in
 * charge 701) are counted; the original text keeps them.
 * No I/O; every pointer in the result points into its own copy of the text. */
#ifndef PHR_JAHIS_H
#define PHR_JAHIS_H

#include <stddef.h>
#include <stdint.h>

#include "formats/demographics.h"
#include "util/buf.h"
#include "util/fault.h"

#define JAHIS_MAX_BYTES (1024 * 1024)
#define JAHIS_MAX_LINES 20000
/* Record 411's 提供情報種別 kept beside its note (an Annotation's extension). */
#define JAHIS_PROVISION_TYPE "urn:phr:jahis:provision-type"
/* Record 31's ingredient code beside its note: a Coding under this prefix
 * and the code type ("…:2"). */
#define JAHIS_INGREDIENT_CODE "urn:phr:jahis:ingredient-code"

/* A text record: label says which (服用注意, 残薬確認, …), in Japanese. */
struct jahis_note {
    const char *label, *text;
    const char *extra;            /* 411 its 提供情報種別, 601 its 入力日, as given; NULL else */
};

/* 用法 (record 301) of one RP, with the notes that name the RP. */
struct jahis_rp {
    int rp;
    const char *usage;            /* 用法名称, may be "" */
    const char *amount, *unit;    /* 調剤数量 and its unit (日分, 回分, …) */
    int form;                     /* 剤形コード 1–10 */
    struct jahis_note *notes;     /* 281, 291, 311, 391 */
    size_t nnotes;
};

/* 薬品 (record 201). */
struct jahis_drug {
    size_t rp;                    /* index into the dispensing's rps */
    const char *name, *dose, *unit;
    int code_type;                /* 1 none, 2 レセプト電算, 3 厚労省, 4 YJ, 6 HOT */
    const char *code;             /* "" when code_type is 1 */
    const char *generic_name, *generic_code;   /* "" when absent */
    int creator;                  /* 1 medical staff, 2 the person, 8 other, 9 unknown */
};

/* Who dispensed and who prescribed, each field as its record gives it
 * ("" when absent): 11 調剤－医療機関等 (name, 都道府県, 点数表, コード,
 * 郵便番号, 住所, 電話番号), 15 調剤担当者 (name, 連絡先), 51 処方－医療機関
 * (name, 都道府県, 点数表, コード), 55 処方医 (name, 診療科). */
struct jahis_party {
    const char *name, *prefecture, *table, *code, *postal, *address, *phone, *department;
};

/* 調剤 (record 5 and what follows it). */
struct jahis_dispensing {
    char date[11];                /* YYYY-MM-DD */
    int64_t date_lo, date_hi;     /* that day in Japan, ms */
    int creator;
    struct jahis_party pharmacy, pharmacist, clinic, doctor;
    struct jahis_rp *rps;
    size_t nrps;
    struct jahis_drug *drugs;
    size_t ndrugs;
    struct jahis_note *notes;     /* 401, 411, 421, 501, 601 */
    size_t nnotes;
};

/* 患者特記 (record 2): what the person's pharmacist must know. */
enum { JAHIS_ALLERGY = 1, JAHIS_SIDE_EFFECT = 2, JAHIS_PAST_ILLNESS = 3, JAHIS_OTHER_REMARK = 9 };
struct jahis_remark {
    int kind;                     /* JAHIS_ALLERGY … */
    const char *text;
    int creator;
};

/* An ingredient of an OTC medicine (record 31): its name, code type (1
 * none) and code ("" when absent). */
struct jahis_ingredient {
    const char *name, *code_type, *code;
};

/* 要指導医薬品・一般用医薬品 (record 3, its ingredients 31). */
struct jahis_otc {
    int seq;
    const char *name, *jan;
    char start[11], end[11];      /* "" when absent */
    int64_t date_lo, date_hi;     /* the period taken, or the day of the text if none */
    int creator;
    struct jahis_ingredient *ingredients;
    size_t ningredients;
};

struct jahis_doc {
    int version;                  /* nn of JAHISTCnn */
    int output_category;          /* 1 from a pharmacy or clinic, 2 from the person */
    struct jahis_dispensing *dispensings;
    size_t ndispensings;
    struct jahis_otc *otc;
    size_t notc;
    struct jahis_remark *remarks;
    size_t nremarks;
    size_t parts;                 /* QR parts joined (1 if not split) */
    size_t unmapped;              /* records kept in the original only */
    char *text;                   /* owned: the UTF-8 copy the pointers point into */
    struct demographics person;   /* what record 1 says of the patient */
};

/* 0, or -1 with the fault saying what is wrong (naming the line, the record
 * and the rule). */
int jahis_read(const char *data, size_t len, struct jahis_doc *out, struct fault *fault);
void jahis_doc_free(struct jahis_doc *d);

/* The patient record (record 1) of a text, as a UTF-8 line without its
 * line end (malloc'd), or NULL if it has none or does not read. */
char *jahis_patient_line(const char *data, size_t len);
/* The records of a text that begin with one of prefixes (NULL-ended), each
 * with a CRLF, in their order (malloc'd; "" when none), or NULL if the text
 * does not read or out of memory: what the service keeps in the original
 * only, for the text written back. */
char *jahis_kept_lines(const char *data, size_t len, const char *const *prefixes);

/* UTF-8 text converted to Shift_JIS (CP932) and appended to out, for
 * readers of お薬手帳 QR payloads; characters CP932 lacks are
 * transliterated or become '?'. 0, or -1. */
int jahis_to_shift_jis(const char *text, size_t len, struct buf *out);

/* 1 if data starts like a JAHIS お薬手帳 text (in either encoding). */
int jahis_sniff(const char *data, size_t len);

#endif

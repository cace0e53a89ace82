#include "formats/prefectures.h"

#include <stdlib.h>
#include <string.h>

enum { HOKKAIDO, TOHOKU, KANTO, CHUBU, KINKI, CHUGOKU, SHIKOKU, KYUSHU };

static const char *const REGIONS[] = {"北海道地方", "東北地方", "関東地方", "中部地方",
                                      "近畿地方", "中国地方", "四国地方", "九州・沖縄地方"};

/* In code order: the code is the index + 1. */
static const struct {
    const char *name;
    int region;
} PREFECTURES[47] = {
    {"北海道", HOKKAIDO}, {"青森県", TOHOKU},   {"岩手県", TOHOKU},   {"宮城県", TOHOKU},   {"秋田県", TOHOKU},
    {"山形県", TOHOKU},   {"福島県", TOHOKU},   {"茨城県", KANTO},    {"栃木県", KANTO},    {"群馬県", KANTO},
    {"埼玉県", KANTO},    {"千葉県", KANTO},    {"東京都", KANTO},    {"神奈川県", KANTO},  {"新潟県", CHUBU},
    {"富山県", CHUBU},    {"石川県", CHUBU},    {"福井県", CHUBU},    {"山梨県", CHUBU},    {"長野県", CHUBU},
    {"岐阜県", CHUBU},    {"静岡県", CHUBU},    {"愛知県", CHUBU},    {"三重県", KINKI},    {"滋賀県", KINKI},
    {"京都府", KINKI},    {"大阪府", KINKI},    {"兵庫県", KINKI},    {"奈良県", KINKI},    {"和歌山県", KINKI},
    {"鳥取県", CHUGOKU},  {"島根県", CHUGOKU},  {"岡山県", CHUGOKU},  {"広島県", CHUGOKU},  {"山口県", CHUGOKU},
    {"徳島県", SHIKOKU},  {"香川県", SHIKOKU},  {"愛媛県", SHIKOKU},  {"高知県", SHIKOKU},  {"福岡県", KYUSHU},
    {"佐賀県", KYUSHU},   {"長崎県", KYUSHU},   {"熊本県", KYUSHU},   {"大分県", KYUSHU},   {"宮崎県", KYUSHU},
    {"鹿児島県", KYUSHU}, {"沖縄県", KYUSHU},
};

static const char *const CODES[47] = {"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12",
                                      "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23", "24",
                                      "25", "26", "27", "28", "29", "30", "31", "32", "33", "34", "35", "36",
                                      "37", "38", "39", "40", "41", "42", "43", "44", "45", "46", "47"};

static int index_of(const char *code)
{
    if (!code || strlen(code) != 2 || code[0] < '0' || code[0] > '4' || code[1] < '0' || code[1] > '9')
        return -1;
    int i = atoi(code) - 1;
    return i >= 0 && i < 47 ? i : -1;
}

const char *prefecture_of(const char *text)
{
    if (!text)
        return NULL;
    /* Spaces, full-width (U+3000) ones too, as addresses are typed. */
    for (;;) {
        if (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')
            text++;
        else if (!strncmp(text, "\xE3\x80\x80", 3))
            text += 3;
        else
            break;
    }
    int code = index_of(text);
    if (code >= 0 && !text[2])
        return CODES[code];
    for (int i = 0; i < 47; i++)
        if (!strncmp(text, PREFECTURES[i].name, strlen(PREFECTURES[i].name)))
            return CODES[i];
    return NULL;
}

const char *prefecture_name(const char *code)
{
    int i = index_of(code);
    return i < 0 ? NULL : PREFECTURES[i].name;
}

const char *prefecture_region(const char *code)
{
    int i = index_of(code);
    return i < 0 ? NULL : REGIONS[PREFECTURES[i].region];
}

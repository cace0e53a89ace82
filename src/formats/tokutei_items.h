/* The 特定健診 item table (MHLW, XML item codes, OID 1.2.392.200119.6.1005):
 * each item's display name, its XML data type and, for quantities, its
 * UCUM unit. Generated (tokutei_items.c) from MHLW's table. */
#ifndef PHR_TOKUTEI_ITEMS_H
#define PHR_TOKUTEI_ITEMS_H

#include <stddef.h>

#define TOKUTEI_ITEM_OID "1.2.392.200119.6.1005"

struct tokutei_item {
    const char *code;   /* 17 characters */
    const char *name;   /* as MHLW displays it */
    const char *type;   /* PQ, CD, CO or ST */
    const char *unit;   /* UCUM, PQ only; "" otherwise */
    const char *category; /* JP Core's JP_SimpleObservationCategory_CS: laboratory, exam, … */
};

/* NULL if the code is not in the table. */
const struct tokutei_item *tokutei_item_find(const char *code);
/* Whether the item is an answer of the 標準的な質問票 (問診: codes 9N701…
 * to 9N896…, taking medicine, smoking, eating, …), which the 健診結果報告書
 * files in its own section. */
int tokutei_item_is_question(const char *code);
/* The table in code order: item i, NULL past the end. */
const struct tokutei_item *tokutei_item_at(size_t i);

#endif

/* code:text (FHIR R4 3.1.1.5.6): the codes whose names contain a text.
 * Records are sealed at rest, so the text a client typed into a resource
 * cannot be searched; what can is the names this service knows for the
 * codes it files records under — the vital signs (their kinds' names in
 * Japanese and English) and the MHLW checkup item table — so a search by
 * text becomes a search by those codes. */
#ifndef PHR_CODE_TEXT_H
#define PHR_CODE_TEXT_H

#include "model/rows.h"

#define CODE_TEXT_MAX 512   /* codes one text may name */

/* The codes named by text (contained, ASCII letters in any case), added to
 * out[*n..cap) without repeats; -1 when more than cap would be. */
int code_text_find(const char *text, struct token_value *out, int cap, int *n);

#endif

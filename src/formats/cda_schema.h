/* The built-in 特定健診 CDA schema (MHLW hc08 V08). */
#ifndef PHR_CDA_SCHEMA_H
#define PHR_CDA_SCHEMA_H

#include <libxml/xmlschemas.h>

/* Compiles the schema once (at start-up, before threads) and installs an
 * external-entity loader that serves only the embedded schema files. 0 or
 * -1. */
int cda_schema_load(void);
/* NULL until loaded. Shared read-only: each validation makes its own
 * context. */
const xmlSchema *cda_schema(void);

#endif

/* The MHLW 特定健診 CDA schema (schemas/mhlw-tokutei-v08/), compiled into
 * the binary so that validation touches no file and no network. The files
 * are embedded with the assembler's .incbin (GNU as, which Debian's gcc and
 * clang both use); meson passes their directory as PHR_SCHEMA_DIR. */
#include "formats/cda_schema.h"

#include <string.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlschemas.h>

#define EMBED(sym, file)                                                                       \
    __asm__(".section .rodata\n.balign 16\n" #sym ":\n.incbin \"" PHR_SCHEMA_DIR "/" file "\"\n" \
            #sym "_end:\n.byte 0\n.previous\n");                                              \
    extern const char sym[], sym##_end[]

EMBED(xsd_hc08, "hc08_V08.xsd");
EMBED(xsd_datatypes, "coreschemas/datatypes_hcgv08.xsd");
EMBED(xsd_datatypes_base, "coreschemas/datatypes-base_hcgv08.xsd");
EMBED(xsd_voc, "coreschemas/voc_hcgv08.xsd");
EMBED(xsd_narrative, "coreschemas/narrativeBlock_hcgv08.xsd");

static const struct {
    const char *name;
    const char *start, *end;
} files[] = {
    {"hc08_V08.xsd", xsd_hc08, xsd_hc08_end},
    {"datatypes_hcgv08.xsd", xsd_datatypes, xsd_datatypes_end},
    {"datatypes-base_hcgv08.xsd", xsd_datatypes_base, xsd_datatypes_base_end},
    {"voc_hcgv08.xsd", xsd_voc, xsd_voc_end},
    {"narrativeBlock_hcgv08.xsd", xsd_narrative, xsd_narrative_end},
};

static xmlSchemaPtr schema;

/* The only external resources libxml2 may load: the embedded schema files,
 * by their base name. Anything else (a DTD, an external entity, a URL in
 * an uploaded document) is refused. */
static xmlParserInputPtr embedded_only(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)id;
    const char *base = url ? strrchr(url, '/') : NULL;
    base = base ? base + 1 : url;
    for (size_t i = 0; base && i < sizeof files / sizeof files[0]; i++) {
        if (strcmp(base, files[i].name))
            continue;
        xmlParserInputBufferPtr in = xmlParserInputBufferCreateMem(
            files[i].start, (int)(files[i].end - files[i].start), XML_CHAR_ENCODING_NONE);
        xmlParserInputPtr stream = in ? xmlNewIOInputStream(ctxt, in, XML_CHAR_ENCODING_NONE) : NULL;
        /* The name is how the schema parser knows a file it has read. */
        if (stream)
            stream->filename = (const char *)xmlStrdup((const xmlChar *)url);
        return stream;
    }
    return NULL;
}

int cda_schema_load(void)
{
    if (schema)
        return 0;
    xmlInitParser();
    xmlSetExternalEntityLoader(embedded_only);
    /* A URL, not the bytes: with a base, every include resolves to one
     * absolute name, so that a file included twice is read once. The
     * loader serves it from memory. */
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt("/phr-schemas/hc08_V08.xsd");
    if (!pc)
        return -1;
    schema = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    return schema ? 0 : -1;
}

const xmlSchema *cda_schema(void)
{
    return schema;
}

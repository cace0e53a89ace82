#include "formats/medicine.h"

#include <string.h>

#include "formats/json.h"

static json_object *at(json_object *o, const char *key)
{
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static json_object *first(json_object *a)
{
    return a && json_object_is_type(a, json_type_array) && json_object_array_length(a)
               ? json_object_array_get_idx(a, 0)
               : NULL;
}

json_object *medicine_contained(json_object *r)
{
    const char *ref = json_get_str(at(r, "medicationReference"), "reference");
    json_object *contained = at(r, "contained");
    if (!ref || ref[0] != '#' || !contained || !json_object_is_type(contained, json_type_array))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(contained); i++) {
        json_object *c = json_object_array_get_idx(contained, i);
        const char *t = json_get_str(c, "resourceType"), *id = json_get_str(c, "id");
        if (t && id && !strcmp(t, "Medication") && !strcmp(id, ref + 1))
            return c;
    }
    return NULL;
}

json_object *medicine_ingredients(json_object *r)
{
    json_object *ing = at(medicine_contained(r), "ingredient");
    return ing && json_object_is_type(ing, json_type_array) ? ing : NULL;
}

json_object *medicine_concept(json_object *r)
{
    json_object *cc = at(r, "medicationCodeableConcept");
    if (cc)
        return cc;
    json_object *m = medicine_contained(r);
    if (at(m, "code"))
        return at(m, "code");
    return at(first(medicine_ingredients(r)), "itemCodeableConcept");
}

const char *medicine_name(json_object *r)
{
    json_object *cc = at(r, "medicationCodeableConcept");
    if (!cc)
        cc = at(medicine_contained(r), "code");
    const char *name = json_get_str(cc, "text");
    if (!name)
        name = json_get_str(first(at(cc, "coding")), "display");
    if (!name)
        name = json_get_str(at(r, "medicationReference"), "display");
    if (!name) {
        json_object *item = at(first(medicine_ingredients(r)), "itemCodeableConcept");
        name = json_get_str(item, "text") ? json_get_str(item, "text")
                                          : json_get_str(first(at(item, "coding")), "display");
    }
    return name;
}

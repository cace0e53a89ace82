#include "util/urls.h"

#include <string.h>

static int loopback(const char *rest)
{
    static const char *const hosts[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        size_t n = strlen(hosts[i]);
        if (!strncmp(rest, hosts[i], n) && (rest[n] == ':' || rest[n] == '/' || rest[n] == '\0'))
            return 1;
    }
    return 0;
}

int url_acceptable(const char *s, size_t n, int origin)
{
    char one[URL_MAX + 1];
    if (n == 0 || n > URL_MAX)
        return 0;
    memcpy(one, s, n);
    one[n] = '\0';
    const char *rest = !strncmp(one, "https://", 8) ? one + 8 : !strncmp(one, "http://", 7) ? one + 7 : NULL;
    if (!rest || !*rest || *rest == '/' || strchr(one, '#') || (one[4] == ':' && !loopback(rest)))
        return 0;
    for (const char *p = one; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return 0;
    return !origin || !strchr(rest, '/');
}

#ifndef PHR_STORE_SQLITE_H
#define PHR_STORE_SQLITE_H

struct store;
int sqlite_store_open(const char *path, int flags, struct store **out);

#endif

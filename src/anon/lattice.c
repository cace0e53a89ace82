#include "anon/lattice.h"

#include <stdlib.h>
#include <string.h>

#include "anon/table.h"

int lattice_init(struct lattice *lt, size_t q, const uint32_t *height, size_t max)
{
    memset(lt, 0, sizeof *lt);
    lt->q = q;
    lt->height = malloc(q * sizeof *lt->height);
    lt->stride = malloc(q * sizeof *lt->stride);
    if (!lt->height || !lt->stride)
        goto fail;
    size_t nodes = 1;
    for (size_t a = q; a-- > 0;) {
        lt->height[a] = height[a];
        lt->stride[a] = nodes;
        lt->top += height[a] - 1;
        if (__builtin_mul_overflow(nodes, (size_t)height[a], &nodes) || nodes > max)
            goto fail;
    }
    lt->nodes = nodes;
    if (!(lt->state = calloc(nodes, 1)))
        goto fail;
    return 0;
fail:
    lattice_free(lt);
    return -1;
}

void lattice_free(struct lattice *lt)
{
    free(lt->height);
    free(lt->stride);
    free(lt->state);
    free(lt->stack);
    memset(lt, 0, sizeof *lt);
}

void lattice_levels(const struct lattice *lt, size_t node, uint32_t *levels)
{
    for (size_t a = 0; a < lt->q; a++)
        levels[a] = (uint32_t)(node / lt->stride[a] % lt->height[a]);
}

uint32_t lattice_sum(const struct lattice *lt, size_t node)
{
    uint32_t sum = 0;
    for (size_t a = 0; a < lt->q; a++)
        sum += (uint32_t)(node / lt->stride[a] % lt->height[a]);
    return sum;
}

/* Gives node's state to every node above it (up) or below it (!up) that
 * has not that state yet: both sets are closed, so a node that has it
 * already has it for everything beyond. Pruning reaches unsettled nodes
 * only. */
static int tag(struct lattice *lt, size_t node, int up, unsigned char state)
{
    size_t n = 0;
    if (anon_push(&lt->stack, &n, &lt->stack_cap, node))
        return -1;
    while (n) {
        size_t x = lt->stack[--n];
        for (size_t a = 0; a < lt->q; a++) {
            uint32_t level = (uint32_t)(x / lt->stride[a] % lt->height[a]);
            if (up ? level + 1 >= lt->height[a] : level == 0)
                continue;
            size_t y = up ? x + lt->stride[a] : x - lt->stride[a];
            if ((lt->state[y] & 3) == state || (state == NODE_PRUNED && (lt->state[y] & 3)))
                continue;
            lt->state[y] = (lt->state[y] & NODE_CHECKED) | state;
            if (anon_push(&lt->stack, &n, &lt->stack_cap, y))
                return -1;
        }
    }
    return 0;
}

static int settle(struct lattice *lt, size_t node, int meets)
{
    lt->state[node] = NODE_CHECKED | (meets ? NODE_ANONYMOUS : NODE_FAILS);
    return tag(lt, node, meets, meets ? NODE_ANONYMOUS : NODE_FAILS);
}

/* The first combination (in column order) whose levels sum to sum:
 * as little as possible as early as possible. */
static void first_of_level(const struct lattice *lt, uint32_t *lv, size_t from, uint32_t sum)
{
    uint32_t room = 0;
    for (size_t a = from; a < lt->q; a++)
        room += lt->height[a] - 1;
    for (size_t a = from; a < lt->q; a++) {
        room -= lt->height[a] - 1;
        lv[a] = sum > room ? sum - room : 0;
        sum -= lv[a];
    }
}

/* The next combination of the same sum, in column order; 0 after the last. */
static int next_of_level(const struct lattice *lt, uint32_t *lv)
{
    uint32_t after = lt->q ? lv[lt->q - 1] : 0;
    for (size_t a = lt->q - 1; a-- > 0;) {
        if (lv[a] + 1 < lt->height[a] && after >= 1) {
            lv[a]++;
            first_of_level(lt, lv, a + 1, after - 1);
            return 1;
        }
        after += lv[a];
    }
    return 0;
}

static size_t node_of(const struct lattice *lt, const uint32_t *lv)
{
    size_t node = 0;
    for (size_t a = 0; a < lt->q; a++)
        node += lv[a] * lt->stride[a];
    return node;
}

/* From an unsettled node, up through unsettled nodes as far as they go;
 * then a binary search along that path for where the model starts to
 * hold: each check settles the half of the path it decides. */
static int walk_path(struct lattice *lt, size_t start, size_t *path, lattice_check check, void *ctx)
{
    size_t len = 0, x = start;
    for (;;) {
        path[len++] = x;
        size_t next = SIZE_MAX;
        for (size_t a = 0; a < lt->q && next == SIZE_MAX; a++)
            if (x / lt->stride[a] % lt->height[a] + 1 < lt->height[a] && !(lt->state[x + lt->stride[a]] & 3))
                next = x + lt->stride[a];
        if (next == SIZE_MAX)
            break;
        x = next;
    }
    size_t lo = 0, hi = len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lt->state[path[mid]] & 3) {
            /* Settled by an earlier step on this path. */
            if ((lt->state[path[mid]] & 3) != NODE_FAILS)
                hi = mid;
            else
                lo = mid + 1;
            continue;
        }
        int meets = check(ctx, path[mid]);
        if (meets < 0 || settle(lt, path[mid], meets))
            return -1;
        if (meets)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

int lattice_walk(struct lattice *lt, int monotonic, lattice_check check, lattice_prune prune, void *ctx)
{
    if (!monotonic) {
        for (size_t node = 0; node < lt->nodes; node++) {
            int meets = check(ctx, node);
            if (meets < 0)
                return -1;
            lt->state[node] = NODE_CHECKED | (meets ? NODE_ANONYMOUS : NODE_FAILS);
        }
        return 0;
    }
    uint32_t *lv = malloc((lt->q ? lt->q : 1) * sizeof *lv);
    size_t *path = malloc(((size_t)lt->top + 1) * sizeof *path);
    int rc = lv && path ? 0 : -1;
    for (uint32_t sum = 0; !rc && sum <= lt->top; sum++) {
        first_of_level(lt, lv, 0, sum);
        do {
            size_t node = node_of(lt, lv);
            if (lt->state[node] & 3)
                continue;
            if (prune && prune(ctx, node)) {
                lt->state[node] = NODE_PRUNED;
                rc = tag(lt, node, 1, NODE_PRUNED);
            } else {
                rc = walk_path(lt, node, path, check, ctx);
            }
        } while (!rc && next_of_level(lt, lv));
    }
    free(lv);
    free(path);
    return rc;
}

/*
 * What numpy cannot do in one pass over text: hashing a text column from its
 * Arrow buffers, finding the rows whose hash another row has, and putting text
 * ids in a set (which finds the repeats, and so numbers them) and looking values
 * up in it, exactly: the loader's key and reference checks, and the ids the
 * projections and the detectors number.
 *
 * Why C: in numpy a value's hash is two unaligned gathers and a few passes (about
 * 16 ns a value), finding shared hashes a sort (numpy's sort runs at about 50 ns a
 * value on these machines) and a lookup either Arrow's `is_in`, which builds its
 * hash table for every check, or a sort of both sides. Here each is one pass over
 * the buffers, a few nanoseconds a value. `core/native.py` calls these functions
 * through ctypes (the Python API serves only an empty module's init, below) and
 * falls back to the numpy and Arrow paths when the library was not built; the
 * hashes are bit for bit those of `key_hashes.py`, and every answer is exact (a
 * lookup compares bytes), so both paths agree (tests/loaders/test_native.py).
 *
 * Text columns are given as Arrow gives them: `offsets` (32- or 64-bit, already
 * moved to the array's offset), `data`, and the validity bitmap (NULL when no
 * value is missing) with its bit offset.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BYTES 32

static const uint64_t M0 = 0xBF58476D1CE4E5B9ULL;  /* the length */
static const uint64_t MW[4] = {0x94D049BB133111EBULL, 0xD6E8FEB86659FD93ULL,
                               0xA0761D6478BD642FULL, 0xE7037ED1A0B428DBULL};

/* A value's hash, as key_hashes.py computes it: (length + 1) times M0, plus each of its
 * 8-byte words (zero-filled past its end) times its multiplier; a value of 8 to 16 bytes
 * by its first and last eight bytes (they overlap or meet). The host is little-endian
 * (x86-64, arm64), as the numpy path's "<u8" views read it. */
static inline uint64_t hash_bytes(const uint8_t *p, int64_t len) {
    uint64_t h = (uint64_t)(len + 1) * M0;
    if (len >= 8 && len <= 16) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + len - 8, 8);
        return h + a * MW[0] + b * MW[1];
    }
    for (int w = 0; 8 * w < len; w++) {
        int64_t take = len - 8 * w;
        uint64_t x = 0;
        memcpy(&x, p + 8 * w, take > 8 ? 8 : (size_t)take);
        h += x * MW[w];
    }
    return h;
}

/* Whether `len` bytes at `a` and at `b` are equal: an id of 8 to 16 bytes by its first and
 * last eight (two loads each, no call), any other by memcmp. */
static inline int same_bytes(const uint8_t *a, const uint8_t *b, int64_t len) {
    if (len >= 8 && len <= 16) {
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, a, 8);
        memcpy(&b0, b, 8);
        memcpy(&a1, a + len - 8, 8);
        memcpy(&b1, b + len - 8, 8);
        return a0 == b0 && a1 == b1;
    }
    return memcmp(a, b, (size_t)len) == 0;
}

static inline int is_valid(const uint8_t *validity, int64_t bit) {
    return validity == NULL || ((validity[bit >> 3] >> (bit & 7)) & 1);
}

static inline int wide_shift(int wide) {
    return wide ? 3 : 2;  /* log2 of an offset's bytes */
}

static inline int64_t offset_at(const void *offsets, int wide, int64_t i) {
    return wide ? ((const int64_t *)offsets)[i] : (int64_t)((const int32_t *)offsets)[i];
}

/* Hashes of `n` values into `out` (a missing value hashes to 0, as the numpy path's does).
 * Returns 0, or -1 when a value is longer than MAX_BYTES (the caller then hashes nothing). */
int64_t rw_hash_text(const void *offsets, int wide, const uint8_t *data,
                     const uint8_t *validity, int64_t bit_offset, int64_t n, uint64_t *out) {
    for (int64_t i = 0; i < n; i++) {
        if (!is_valid(validity, bit_offset + i)) {
            out[i] = 0;
            continue;
        }
        int64_t start = offset_at(offsets, wide, i), len = offset_at(offsets, wide, i + 1) - start;
        if (len > MAX_BYTES)
            return -1;
        out[i] = hash_bytes(data + start, len);
    }
    return 0;
}

/* The hashes above are a sum of products, unmixed: a table slot takes a mixed copy. */
static inline uint64_t mix(uint64_t h) {
    h ^= h >> 31;
    h *= 0x7FB5D329728EA185ULL;
    h ^= h >> 27;
    h *= 0x81DADEF4BC2DD44DULL;
    h ^= h >> 33;
    return h;
}

/* Open addressing, at most half full. A slot is one word: the row + 1 in its high half (0:
 * empty), the low half of the mixed hash in its low half, so that a probe reads one word
 * and looks at a row's own hash or bytes only when those 32 bits agree. Rows are looked up
 * in batches, each batch's slots prefetched first: the tables of a large snapshot outgrow
 * the cache, and a lookup's time is its memory reads, which the batch overlaps. */
#define BATCH 16

/* A table is `capacity` slots (a power of two, at least twice the rows) that the caller
 * allocates (from Arrow's pool, which keeps freed pages: a table of a large snapshot is
 * tens of megabytes, which the C library would map afresh, and the kernel zero, each time);
 * here it is cleared. The slot of a mixed hash is its top bits. */
static int shift_for(int64_t capacity) {
    return 64 - __builtin_ctzll((unsigned long long)capacity);
}

static inline uint64_t slot_of(int64_t row, uint64_t mixed) {
    return ((uint64_t)(row + 1) << 32) | (mixed & 0xFFFFFFFFULL);
}

static inline int64_t row_in(uint64_t slot) {
    return (int64_t)(slot >> 32) - 1;
}

/* Marks in `shared` (n bytes, zeroed by the caller) every row whose hash another row has,
 * in a table of `capacity` `slots`. Returns how many rows it marked. At most 2**31 rows. */
int64_t rw_shared_hashes(const uint64_t *hashes, int64_t n, uint8_t *shared, uint64_t *slots,
                         int64_t capacity) {
    int shift = shift_for(capacity);
    int64_t marked = 0, mask = capacity - 1;
    memset(slots, 0, (size_t)capacity * sizeof(uint64_t));
    uint64_t mixed[BATCH];
    for (int64_t base = 0; base < n; base += BATCH) {
        int64_t size = n - base < BATCH ? n - base : BATCH;
        for (int64_t k = 0; k < size; k++) {
            mixed[k] = mix(hashes[base + k]);
            __builtin_prefetch(&slots[mixed[k] >> shift], 1);
        }
        for (int64_t k = 0; k < size; k++) {
            int64_t i = base + k, s = (int64_t)(mixed[k] >> shift);
            uint32_t tag = (uint32_t)mixed[k];
            for (;;) {
                uint64_t slot = slots[s];
                if (slot == 0) {
                    slots[s] = slot_of(i, mixed[k]);
                    break;
                }
                int64_t held = row_in(slot);
                if ((uint32_t)slot == tag && hashes[held] == hashes[i]) {
                    marked += !shared[held] + 1;
                    shared[held] = 1;
                    shared[i] = 1;
                    break;
                }
                s = (s + 1) & mask;
            }
        }
    }
    return marked;
}

/* A set of text ids to look values up in: an open-addressing table of their rows. */
typedef struct {
    const void *offsets;
    int wide;
    const uint8_t *data;
    uint64_t *slots;
    int64_t capacity;
    int shift;
} rw_id_set;

/* The set of `n` ids (none missing, none longer than MAX_BYTES, at most 2**31: the caller
 * checks) in a table of `capacity` `slots`, or NULL when memory ran out. The buffers and
 * the slots must outlive the set. `first_of[i]` gets the first row holding the same bytes
 * as row i, or -1 when row i is the first: the ids' repeats, found while they are put in
 * (a repeat is not put in again). */
rw_id_set *rw_id_set_new(const void *offsets, int wide, const uint8_t *data, int64_t n,
                         int64_t *first_of, uint64_t *slots, int64_t capacity) {
    rw_id_set *set = calloc(1, sizeof(rw_id_set));
    if (set == NULL)
        return NULL;
    set->offsets = offsets;
    set->wide = wide;
    set->data = data;
    set->capacity = capacity;
    set->shift = shift_for(capacity);
    set->slots = slots;
    memset(slots, 0, (size_t)capacity * sizeof(uint64_t));
    int64_t mask = set->capacity - 1;
    uint64_t mixed[BATCH];
    for (int64_t base = 0; base < n; base += BATCH) {
        int64_t size = n - base < BATCH ? n - base : BATCH;
        for (int64_t k = 0; k < size; k++) {
            int64_t start = offset_at(offsets, wide, base + k);
            mixed[k] = mix(hash_bytes(data + start, offset_at(offsets, wide, base + k + 1) - start));
            __builtin_prefetch(&set->slots[mixed[k] >> set->shift], 1);
        }
        for (int64_t k = 0; k < size; k++) {
            int64_t i = base + k, start = offset_at(offsets, wide, i);
            int64_t len = offset_at(offsets, wide, i + 1) - start, s = (int64_t)(mixed[k] >> set->shift);
            uint32_t tag = (uint32_t)mixed[k];
            first_of[i] = -1;
            for (uint64_t slot; (slot = set->slots[s]) != 0; s = (s + 1) & mask) {
                if ((uint32_t)slot != tag)
                    continue;
                int64_t held = row_in(slot), held_start = offset_at(offsets, wide, held);
                if (offset_at(offsets, wide, held + 1) - held_start == len
                        && same_bytes(data + held_start, data + start, len)) {
                    first_of[i] = held;
                    break;
                }
            }
            if (first_of[i] < 0)
                set->slots[s] = slot_of(i, mixed[k]);
        }
    }
    return set;
}

void rw_id_set_free(rw_id_set *set) {
    if (set == NULL)
        return;
    free(set);
}

/* Whether the set holds the `len` bytes at `value` (hash `mixed`), looking from slot `s` on. */
static inline int holds_from(const rw_id_set *set, int64_t s, uint64_t mixed, const uint8_t *value,
                             int64_t len) {
    for (uint64_t slot; (slot = set->slots[s]) != 0; s = (s + 1) & (set->capacity - 1)) {
        if ((uint32_t)slot != (uint32_t)mixed)
            continue;
        int64_t held = row_in(slot), id_start = offset_at(set->offsets, set->wide, held);
        if (offset_at(set->offsets, set->wide, held + 1) - id_start == len
                && same_bytes(set->data + id_start, value, len))
            return 1;
    }
    return 0;
}

/* Per value, whether the set holds it (byte for byte): `found` gets 1 or 0; a missing
 * value is not found. Values of any length. Returns how many were found. A batch goes
 * through in stages, each prefetching what the next reads (the slot, then the candidate
 * id's offsets, then its bytes): nearly every value looked up is held, and each of those
 * reads would otherwise wait on memory in turn. */
int64_t rw_id_set_contains(const rw_id_set *set, const void *offsets, int wide,
                           const uint8_t *data, const uint8_t *validity, int64_t bit_offset,
                           int64_t n, uint8_t *found) {
    int64_t count = 0, mask = set->capacity - 1;
    uint64_t mixed[BATCH];
    int64_t slot_at[BATCH], held[BATCH], id_start[BATCH];
    int looked[BATCH];
    for (int64_t base = 0; base < n; base += BATCH) {
        int64_t size = n - base < BATCH ? n - base : BATCH;
        for (int64_t k = 0; k < size; k++) {
            int64_t i = base + k, start = offset_at(offsets, wide, i);
            int64_t len = offset_at(offsets, wide, i + 1) - start;
            looked[k] = is_valid(validity, bit_offset + i) && len <= MAX_BYTES;  /* no id is longer */
            if (looked[k]) {
                mixed[k] = mix(hash_bytes(data + start, len));
                __builtin_prefetch(&set->slots[mixed[k] >> set->shift], 0);
            }
        }
        for (int64_t k = 0; k < size; k++) {  /* the first slot whose 32 bits agree */
            held[k] = -1;
            if (!looked[k])
                continue;
            int64_t s = (int64_t)(mixed[k] >> set->shift);
            while (set->slots[s] != 0 && (uint32_t)set->slots[s] != (uint32_t)mixed[k])
                s = (s + 1) & mask;
            slot_at[k] = s;
            if (set->slots[s] != 0) {
                held[k] = row_in(set->slots[s]);
                __builtin_prefetch((const uint8_t *)set->offsets + (held[k] << (wide_shift(set->wide))), 0);
            }
        }
        for (int64_t k = 0; k < size; k++) {
            if (held[k] >= 0) {
                id_start[k] = offset_at(set->offsets, set->wide, held[k]);
                __builtin_prefetch(set->data + id_start[k], 0);
            }
        }
        for (int64_t k = 0; k < size; k++) {
            int64_t i = base + k;
            found[i] = 0;
            if (held[k] < 0)
                continue;
            int64_t start = offset_at(offsets, wide, i), len = offset_at(offsets, wide, i + 1) - start;
            if (offset_at(set->offsets, set->wide, held[k] + 1) - id_start[k] == len
                    && same_bytes(set->data + id_start[k], data + start, len))
                found[i] = 1;
            else  /* 32 bits agreed by chance: the rest of the probe */
                found[i] = (uint8_t)holds_from(set, (slot_at[k] + 1) & mask, mixed[k], data + start, len);
            count += found[i];
        }
    }
    return count;
}

/* An empty module, so that the library imports like any other (pkgutil walks it); its
 * functions are called through ctypes. */
static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, .m_name = "_native", .m_size = -1,
    .m_doc = "Ringwatch's compiled kernels (see ringwatch.native); called through ctypes."};

PyMODINIT_FUNC PyInit__native(void) {
    return PyModule_Create(&native_module);
}

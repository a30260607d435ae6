#include "tflite_builder.h"

#include <stdlib.h>
#include <string.h>

/* Written front to back: a parent reserves 4-byte offset slots, its children
 * come later in the buffer and the slots are patched to point at them (the
 * format's offsets are unsigned, so children must follow their parent). Every
 * table field gets an 8-byte cell: the format allows any layout the vtable
 * describes. */
typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

static size_t put(buf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        b->cap = cap;
    }
    size_t at = b->len;
    if (data)
        memcpy(b->p + at, data, n);
    else
        memset(b->p + at, 0, n);
    b->len += n;
    return at;
}

static void align4(buf *b)
{
    while (b->len % 4)
        put(b, NULL, 1);
}

static void patch(buf *b, size_t slot, size_t target)
{
    uint32_t off = (uint32_t)(target - slot);
    memcpy(b->p + slot, &off, 4);
}

/* A table with n slots; kinds: 0 absent, 1 u8, 2 i32/u32, 3 reference. Returns
 * the table position; ref_slots[i] gets the cell position of reference i. */
static size_t table(buf *b, int n, const int *kinds, const int64_t *values, size_t *ref_slots)
{
    align4(b);
    size_t vt = b->len;
    uint16_t head[2] = {(uint16_t)(4 + 2 * n), (uint16_t)(4 + 8 * n)};
    put(b, head, 4);
    for (int i = 0; i < n; i++) {
        uint16_t off = kinds[i] ? (uint16_t)(4 + 8 * i) : 0;
        put(b, &off, 2);
    }
    align4(b);
    size_t t = b->len;
    int32_t soff = (int32_t)(t - vt);
    put(b, &soff, 4);
    put(b, NULL, (size_t)8 * n);
    for (int i = 0; i < n; i++) {
        size_t cell = t + 4 + 8 * (size_t)i;
        if (kinds[i] == 1)
            b->p[cell] = (uint8_t)values[i];
        else if (kinds[i] == 2) {
            int32_t v = (int32_t)values[i];
            memcpy(b->p + cell, &v, 4);
        } else if (kinds[i] == 3)
            ref_slots[i] = cell;
    }
    return t;
}

static size_t vec_i32(buf *b, const int32_t *v, int n)
{
    align4(b);
    uint32_t len = (uint32_t)n;
    size_t at = put(b, &len, 4);
    put(b, v, 4 * (size_t)n);
    return at;
}

static size_t vec_bytes(buf *b, const void *v, size_t n)
{
    align4(b);
    uint32_t len = (uint32_t)n;
    size_t at = put(b, &len, 4);
    put(b, v, n);
    put(b, "", 1); /* strings end in NUL; harmless for data */
    return at;
}

/* A vector of n table references: returns its position; slots[i] the cells. */
static size_t vec_refs(buf *b, int n, size_t *slots)
{
    align4(b);
    uint32_t len = (uint32_t)n;
    size_t at = put(b, &len, 4);
    for (int i = 0; i < n; i++)
        slots[i] = put(b, NULL, 4);
    return at;
}

uint8_t *tb_build(const tb_model *m, size_t *size)
{
    buf b = {0};
    size_t root_slot = put(&b, NULL, 4);
    put(&b, "TFL3", 4);

    size_t slots[8];
    int mk[5] = {2, 3, 3, 0, 3};
    int64_t mv[5] = {3, 0, 0, 0, 0};
    size_t model = table(&b, 5, mk, mv, slots);
    patch(&b, root_slot, model);
    size_t codes_slot = slots[1], subgraphs_slot = slots[2], buffers_slot = slots[4];

    size_t code_slots[TB_MAX_OPS];
    patch(&b, codes_slot, vec_refs(&b, m->n_ops, code_slots));
    for (int i = 0; i < m->n_ops; i++) {
        int ck[4] = {1, 0, 2, 2};
        int64_t cv[4] = {m->ops[i].code < 127 ? m->ops[i].code : 127, 0, 1, m->ops[i].code};
        patch(&b, code_slots[i], table(&b, 4, ck, cv, slots));
    }

    size_t sg_slot;
    patch(&b, subgraphs_slot, vec_refs(&b, 1, &sg_slot));
    int sk[5] = {3, 3, 3, 3, 0};
    int64_t sv[5] = {0};
    size_t sg_refs[5];
    patch(&b, sg_slot, table(&b, 5, sk, sv, sg_refs));

    size_t tensor_slots[TB_MAX_TENSORS];
    patch(&b, sg_refs[0], vec_refs(&b, m->n_tensors, tensor_slots));
    int next_buffer = 1;
    for (int i = 0; i < m->n_tensors; i++) {
        const tb_tensor *t = &m->t[i];
        int tk[4] = {3, 1, 2, 3};
        int64_t tv[4] = {0, t->type, t->data ? next_buffer++ : 0, 0};
        size_t refs[4];
        patch(&b, tensor_slots[i], table(&b, 4, tk, tv, refs));
        patch(&b, refs[0], vec_i32(&b, t->shape, t->rank));
        const char *name = t->name ? t->name : "t";
        patch(&b, refs[3], vec_bytes(&b, name, strlen(name)));
    }
    patch(&b, sg_refs[1], vec_i32(&b, m->in, m->n_in));
    patch(&b, sg_refs[2], vec_i32(&b, m->out, m->n_out));

    size_t op_slots[TB_MAX_OPS];
    patch(&b, sg_refs[3], vec_refs(&b, m->n_ops, op_slots));
    for (int i = 0; i < m->n_ops; i++) {
        const tb_op *op = &m->ops[i];
        int ok[5] = {2, 3, 3, op->opt_type ? 1 : 0, op->opt_type ? 3 : 0};
        int64_t ov[5] = {i, 0, 0, op->opt_type, 0};
        size_t refs[5];
        patch(&b, op_slots[i], table(&b, 5, ok, ov, refs));
        patch(&b, refs[1], vec_i32(&b, op->in, op->n_in));
        patch(&b, refs[2], vec_i32(&b, op->out, op->n_out));
        if (!op->opt_type)
            continue;
        int n = 0;
        for (int k = 0; k < op->n_opt; k++)
            if (op->opt[k].slot + 1 > n)
                n = op->opt[k].slot + 1;
        int kinds[TB_MAX_OPT + 8] = {0};
        int64_t vals[TB_MAX_OPT + 8] = {0};
        size_t orefs[TB_MAX_OPT + 8];
        for (int k = 0; k < op->n_opt; k++) {
            const tb_opt *f = &op->opt[k];
            kinds[f->slot] = f->kind == TB_U8 ? 1 : f->kind == TB_I32 ? 2 : 3;
            vals[f->slot] = f->value;
        }
        patch(&b, refs[4], table(&b, n, kinds, vals, orefs));
        for (int k = 0; k < op->n_opt; k++)
            if (op->opt[k].kind == TB_VEC_I32)
                patch(&b, orefs[op->opt[k].slot], vec_i32(&b, op->opt[k].vec, op->opt[k].vec_len));
    }

    size_t buffer_slots[TB_MAX_TENSORS + 1];
    patch(&b, buffers_slot, vec_refs(&b, next_buffer, buffer_slots));
    int bk[1] = {0};
    int64_t bv[1] = {0};
    patch(&b, buffer_slots[0], table(&b, 0, bk, bv, slots));
    int at = 1;
    for (int i = 0; i < m->n_tensors; i++) {
        const tb_tensor *t = &m->t[i];
        if (!t->data)
            continue;
        int dk[1] = {3};
        size_t refs[1];
        patch(&b, buffer_slots[at++], table(&b, 1, dk, bv, refs));
        patch(&b, refs[0], vec_bytes(&b, t->data, t->data_size));
    }
    *size = b.len;
    return b.p;
}

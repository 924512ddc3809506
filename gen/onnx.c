/*
** onnx.c: ONNX models read into Lua tables, as the Lua module "onnx".
** protobuf-c decodes the wire format (build/proto/onnx.pb-c.c, generated
** from ONNX's own onnx.proto); this file turns the decoded message into
** plain tables for the importer, which is Lua, and checks here what is
** cheap to check in C and awkward in Lua: that each tensor's data has as
** many elements as its shape says.  Weights become tensor userdata, so
** they are float32 from the file to the generated C.
**
** onnx.decode(bytes) -> model | nil, message
** Bad input is never a Lua error: the caller adds the file name.
*/
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "lauxlib.h"
#include "convgen.h"

/* protoc-c writes oneofs as unnamed unions, which C99 lacks; GCC and
   Clang accept them as an extension, so -pedantic is quieted for it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#include "onnx.pb-c.h"
#pragma GCC diagnostic pop

#define MAX_ELEMENTS 2147483647     /* per tensor: generated C indexes with int */
#define MAX_NESTING 100             /* messages within messages, as in protobuf's C++ */

#define NOT_ONNX "not an ONNX model: "
#define CORRUPT NOT_ONNX "protobuf decoding failed (truncated or corrupt)"

enum { TYPE_FLOAT = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
       TYPE_INT32 = ONNX__TENSOR_PROTO__DATA_TYPE__INT32,
       TYPE_INT64 = ONNX__TENSOR_PROTO__DATA_TYPE__INT64,
       TYPE_DOUBLE = ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE };

struct decoder {
  const Onnx__ModelProto *model;
  int from_f32le;       /* stack index of tensor.from_f32le */
  int bad_input;        /* the error being raised is about the file */
};

/* ---- memory ------------------------------------------------------------- */

/* protobuf-c allocates through the state's allocator, so that a memory cap
   set by sandbox.run covers the decoded message as well.  A Lua allocator
   is told the size of each block it frees; a header keeps it. */
union block_header {
  size_t size;
  long double align_ld;
  long long align_ll;
  void *align_p;
};

struct pb_allocator {
  lua_Alloc alloc;
  void *ud;
  int failed;           /* an allocation was refused */
};

static void *pb_alloc(void *data, size_t size)
{
  struct pb_allocator *a = data;
  union block_header *h = NULL;
  if (size <= (size_t)-1 - sizeof *h)
    h = a->alloc(a->ud, NULL, 0, sizeof *h + size);
  if (!h) {
    a->failed = 1;
    return NULL;
  }
  h->size = sizeof *h + size;
  return h + 1;
}

static void pb_free(void *data, void *p)
{
  struct pb_allocator *a = data;
  if (p) {
    union block_header *h = (union block_header *)p - 1;
    a->alloc(a->ud, h, h->size, 0);
  }
}

/* ---- nesting ------------------------------------------------------------ */

/* Reads a varint; 0 when it is cut short or longer than 10 bytes. */
static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *value)
{
  uint64_t v = 0;
  int shift;
  for (shift = 0; shift < 70 && *p < end; shift += 7) {
    uint8_t byte = *(*p)++;
    v |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *value = v;
      return 1;
    }
  }
  return 0;
}

enum nesting { NESTING_OK, NESTING_CORRUPT, NESTING_DEEP };

/*
** protobuf-c unpacks submessages recursively with no depth limit, so a
** small crafted file (graphs in attributes of nodes of graphs...) would
** overflow the C stack: 600 KB of nesting is enough.  This walk over the
** wire format, guided by the same descriptors, measures the depth first.
** It is strict: what it cannot read (groups, a length past the end),
** protobuf-c would refuse too.
*/
static enum nesting check_nesting(const ProtobufCMessageDescriptor *desc,
                                  const uint8_t *p, const uint8_t *end, int depth)
{
  if (depth > MAX_NESTING)
    return NESTING_DEEP;
  while (p < end) {
    uint64_t tag, len;
    const ProtobufCFieldDescriptor *field;
    if (!read_varint(&p, end, &tag))
      return NESTING_CORRUPT;
    switch (tag & 7) {
    case 0:                                         /* varint */
      if (!read_varint(&p, end, &len))
        return NESTING_CORRUPT;
      break;
    case 1:                                         /* 64-bit */
      if (end - p < 8)
        return NESTING_CORRUPT;
      p += 8;
      break;
    case 5:                                         /* 32-bit */
      if (end - p < 4)
        return NESTING_CORRUPT;
      p += 4;
      break;
    case 2:                                         /* length-delimited */
      if (!read_varint(&p, end, &len) || len > (uint64_t)(end - p))
        return NESTING_CORRUPT;
      field = (tag >> 3) <= 0x1fffffff
              ? protobuf_c_message_descriptor_get_field(desc, (unsigned)(tag >> 3)) : NULL;
      if (field && field->type == PROTOBUF_C_TYPE_MESSAGE) {
        enum nesting inner = check_nesting(field->descriptor, p, p + len, depth + 1);
        if (inner != NESTING_OK)
          return inner;
      }
      p += len;
      break;
    default:
      return NESTING_CORRUPT;
    }
  }
  return NESTING_OK;
}

/* ---- small helpers ------------------------------------------------------ */

/* Raises the message as an error about the file, which onnx.decode turns
   into nil, message. */
static int bad_input(lua_State *L, struct decoder *d, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  d->bad_input = 1;
  return lua_error(L);
}

/* protobuf-c leaves absent strings NULL */
static const char *str(const char *s)
{
  return s ? s : "";
}

static void push_bytes(lua_State *L, ProtobufCBinaryData b)
{
  lua_pushlstring(L, b.len ? (const char *)b.data : "", b.len);
}

/* A size hint for lua_createtable, which takes an int.  Every n is the
   length of an array already in memory, so the hint cannot be a bomb. */
static int hint(size_t n)
{
  return n <= INT_MAX ? (int)n : 0;
}

static void set_string(lua_State *L, const char *key, const char *s)
{
  lua_pushstring(L, str(s));
  lua_setfield(L, -2, key);
}

static void set_integer(lua_State *L, const char *key, lua_Integer v)
{
  lua_pushinteger(L, v);
  lua_setfield(L, -2, key);
}

/* "ai.onnx" is another name of the default domain. */
static const char *domain_name(const char *domain)
{
  return domain && strcmp(domain, "ai.onnx") != 0 ? domain : "";
}

static void push_string_list(lua_State *L, char **strings, size_t n)
{
  size_t i;
  lua_createtable(L, hint(n), 0);
  for (i = 0; i < n; i++) {
    lua_pushstring(L, str(strings[i]));
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

/* "node 'conv1' (Conv)", or "node 3 (Conv)" when it has no name */
static const char *push_node_label(lua_State *L, const Onnx__NodeProto *node, size_t index)
{
  if (node->name && node->name[0])
    return lua_pushfstring(L, "node '%s' (%s)", node->name, str(node->op_type));
  return lua_pushfstring(L, "node %I (%s)", (lua_Integer)index + 1, str(node->op_type));
}

/* ---- tensors ------------------------------------------------------------ */

static uint32_t le32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
  return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Two's complement without the implementation-defined conversion. */
static int64_t to_int64(uint64_t u)
{
  return u <= INT64_MAX ? (int64_t)u : -(int64_t)(UINT64_MAX - u) - 1;
}

static int32_t to_int32(uint32_t u)
{
  return u <= INT32_MAX ? (int32_t)u : -(int32_t)(UINT32_MAX - u) - 1;
}

/* Bytes per element of the fixed-size types; 0 for strings and types
   newer than this onnx.proto, whose raw_data is then not checked. */
static size_t element_size(int32_t data_type)
{
  switch (data_type) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
  case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
    return 1;
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
  case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
    return 2;
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
    return 4;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
  case ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64:
    return 8;
  case ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128:
    return 16;
  default:
    return 0;
  }
}

/* Data convgen cannot reach: in another file, or split across messages. */
static void check_storage(lua_State *L, struct decoder *d, const Onnx__TensorProto *t,
                          const char *what)
{
  if ((t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
      || t->n_external_data > 0)
    bad_input(L, d, "%s keeps its data in an external file, which convgen does not read; "
              "save the model with its weights inside", what);
  if (t->segment)
    bad_input(L, d, "%s is split into segments, which convgen does not read", what);
}

/* The product of the dimensions, checked before it can overflow. */
static lua_Integer element_count(lua_State *L, struct decoder *d, const Onnx__TensorProto *t,
                                 const char *what)
{
  lua_Integer count = 1;
  size_t i;
  for (i = 0; i < t->n_dims; i++) {
    if (t->dims[i] < 0)
      bad_input(L, d, "%s has a negative dimension (%I)", what, (lua_Integer)t->dims[i]);
    if (t->dims[i] == 0)
      return 0;                     /* even when the other dimensions are huge */
  }
  for (i = 0; i < t->n_dims; i++) {
    if (t->dims[i] > MAX_ELEMENTS / count)
      bad_input(L, d, "%s has more than %I elements", what, (lua_Integer)MAX_ELEMENTS);
    count *= (lua_Integer)t->dims[i];
  }
  return count;
}

/* Compared by division: count * size could overflow a 32-bit size_t. */
static void check_raw_length(lua_State *L, struct decoder *d, const Onnx__TensorProto *t,
                             const char *what, lua_Integer count, size_t size)
{
  if (t->raw_data.len % size != 0 || t->raw_data.len / size != (size_t)count)
    bad_input(L, d, "%s has %I bytes of raw_data, but its %I elements take %I",
              what, (lua_Integer)t->raw_data.len, count, count * (lua_Integer)size);
}

/* Whether the data is in raw_data (checked) rather than in the typed
   field, which has n_typed elements (checked too). */
static int uses_raw_data(lua_State *L, struct decoder *d, const Onnx__TensorProto *t,
                         const char *what, lua_Integer count, size_t n_typed, const char *field)
{
  if (t->has_raw_data) {
    if (n_typed > 0)
      bad_input(L, d, "%s has data both in raw_data and in %s", what, field);
    check_raw_length(L, d, t, what, count, element_size(t->data_type));
    return 1;
  }
  if (n_typed == 0 && count > 0)
    bad_input(L, d, "%s has no data for its %I elements", what, count);
  if (n_typed != (size_t)count)
    bad_input(L, d, "%s has %I values in %s, but its shape has %I elements",
              what, (lua_Integer)n_typed, field, count);
  return 0;
}

/* Floats go through tensor.from_f32le, raw_data as it is, float_data as
   little-endian bytes: tensor.c owns the userdata's layout. */
static void push_float_values(lua_State *L, struct decoder *d, const Onnx__TensorProto *t,
                              lua_Integer count, int raw)
{
  lua_pushvalue(L, d->from_f32le);
  if (raw)
    push_bytes(L, t->raw_data);
  else {
    luaL_Buffer b;
    size_t size = (size_t)count * 4;    /* float_data holds count floats: no overflow */
    uint8_t *p = (uint8_t *)luaL_buffinitsize(L, &b, size);
    lua_Integer i;
    for (i = 0; i < count; i++, p += 4) {
      uint32_t u;
      memcpy(&u, &t->float_data[i], sizeof u);
      p[0] = (uint8_t)u;
      p[1] = (uint8_t)(u >> 8);
      p[2] = (uint8_t)(u >> 16);
      p[3] = (uint8_t)(u >> 24);
    }
    luaL_pushresultsize(&b, size);
  }
  lua_pushinteger(L, 0);
  lua_pushinteger(L, count);
  lua_call(L, 3, 1);
}

static void push_integer_values(lua_State *L, const Onnx__TensorProto *t, lua_Integer count,
                                int raw)
{
  lua_Integer i;
  lua_createtable(L, hint((size_t)count), 0);
  for (i = 0; i < count; i++) {
    if (t->data_type == TYPE_INT64)
      lua_pushinteger(L, raw ? to_int64(le64(t->raw_data.data + 8 * i)) : t->int64_data[i]);
    else
      lua_pushinteger(L, raw ? to_int32(le32(t->raw_data.data + 4 * i)) : t->int32_data[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

static void push_double_values(lua_State *L, const Onnx__TensorProto *t, lua_Integer count,
                               int raw)
{
  lua_Integer i;
  lua_createtable(L, hint((size_t)count), 0);
  for (i = 0; i < count; i++) {
    double x;
    if (raw) {
      uint64_t u = le64(t->raw_data.data + 8 * i);
      memcpy(&x, &u, sizeof x);
    }
    else
      x = t->double_data[i];
    lua_pushnumber(L, x);
    lua_rawseti(L, -2, i + 1);
  }
}

/* Sets record.values for the types the importer reads; the others keep
   none, and only their raw_data length is checked. */
static void set_values(lua_State *L, struct decoder *d, const Onnx__TensorProto *t,
                       const char *what, lua_Integer count)
{
  int raw;
  switch (t->data_type) {
  case TYPE_FLOAT:
    raw = uses_raw_data(L, d, t, what, count, t->n_float_data, "float_data");
    push_float_values(L, d, t, count, raw);
    break;
  case TYPE_INT32:
    raw = uses_raw_data(L, d, t, what, count, t->n_int32_data, "int32_data");
    push_integer_values(L, t, count, raw);
    break;
  case TYPE_INT64:
    raw = uses_raw_data(L, d, t, what, count, t->n_int64_data, "int64_data");
    push_integer_values(L, t, count, raw);
    break;
  case TYPE_DOUBLE:
    raw = uses_raw_data(L, d, t, what, count, t->n_double_data, "double_data");
    push_double_values(L, t, count, raw);
    break;
  default:
    if (t->has_raw_data && element_size(t->data_type) > 0)
      check_raw_length(L, d, t, what, count, element_size(t->data_type));
    return;
  }
  lua_setfield(L, -2, "values");
}

/* Pushes the record of t; `what` names the tensor in messages. */
static void push_tensor_record(lua_State *L, struct decoder *d, const Onnx__TensorProto *t,
                               const char *what)
{
  lua_Integer count;
  size_t i;
  check_storage(L, d, t, what);
  count = element_count(L, d, t, what);
  lua_createtable(L, 0, 5);
  set_string(L, "name", t->name);
  set_integer(L, "data_type", t->data_type);       /* 0 when absent */
  lua_createtable(L, hint(t->n_dims), 0);
  for (i = 0; i < t->n_dims; i++) {
    lua_pushinteger(L, t->dims[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "dims");
  set_integer(L, "count", count);
  set_values(L, d, t, what, count);
}

/* ---- attributes --------------------------------------------------------- */

/* Files from before AttributeProto.type existed say the type only by
   which field is set. */
static int attribute_type(const Onnx__AttributeProto *a)
{
  if (a->has_type)
    return a->type;
  if (a->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
  if (a->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  if (a->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
  if (a->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
  if (a->g) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
  if (a->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
  if (a->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  if (a->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
  if (a->n_tensors) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS;
  if (a->n_graphs) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
  return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

/* { unsupported = why }: the importer names the attribute and the node. */
static void push_unsupported(lua_State *L, const char *why)
{
  lua_createtable(L, 0, 1);
  lua_pushstring(L, why);
  lua_setfield(L, -2, "unsupported");
}

static void push_attribute_value(lua_State *L, struct decoder *d, const Onnx__AttributeProto *a,
                                 const Onnx__NodeProto *node, size_t index)
{
  int type = attribute_type(a);
  size_t i;
  if (a->ref_attr_name && a->ref_attr_name[0]) {
    push_unsupported(L, "ref_attr_name");
    return;
  }
  switch (type) {
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
    lua_pushnumber(L, a->f);
    break;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
    lua_pushinteger(L, a->i);
    break;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
    push_bytes(L, a->s);
    break;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
    push_node_label(L, node, index);
    if (!a->t)
      bad_input(L, d, "attribute '%s' of %s has type TENSOR but no tensor",
                str(a->name), lua_tostring(L, -1));
    lua_pushfstring(L, "the tensor in attribute '%s' of %s", str(a->name), lua_tostring(L, -1));
    push_tensor_record(L, d, a->t, lua_tostring(L, -1));
    lua_replace(L, -3);                             /* the record over the label */
    lua_pop(L, 1);
    break;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
    lua_createtable(L, hint(a->n_floats), 0);
    for (i = 0; i < a->n_floats; i++) {
      lua_pushnumber(L, a->floats[i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    break;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
    lua_createtable(L, hint(a->n_ints), 0);
    for (i = 0; i < a->n_ints; i++) {
      lua_pushinteger(L, a->ints[i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    break;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
    lua_createtable(L, hint(a->n_strings), 0);
    for (i = 0; i < a->n_strings; i++) {
      push_bytes(L, a->strings[i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    break;
  default: {
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &onnx__attribute_proto__attribute_type__descriptor, type);
    if (v)
      push_unsupported(L, v->name);
    else {                          /* a type newer than this onnx.proto */
      push_unsupported(L, lua_pushfstring(L, "type %d", type));
      lua_remove(L, -2);
    }
    break;
  }
  }
}

/* ---- graph -------------------------------------------------------------- */

static void push_node(lua_State *L, struct decoder *d, const Onnx__NodeProto *node, size_t index)
{
  size_t i;
  lua_createtable(L, 0, 6);
  set_string(L, "name", node->name);
  set_string(L, "op_type", node->op_type);
  set_string(L, "domain", domain_name(node->domain));
  push_string_list(L, node->input, node->n_input);  /* "" kept: an omitted optional input */
  lua_setfield(L, -2, "inputs");
  push_string_list(L, node->output, node->n_output);
  lua_setfield(L, -2, "outputs");
  lua_createtable(L, 0, hint(node->n_attribute));    /* stack: node, attributes */
  for (i = 0; i < node->n_attribute; i++) {
    const Onnx__AttributeProto *a = node->attribute[i];
    if (lua_getfield(L, -1, str(a->name)) != LUA_TNIL)
      bad_input(L, d, "%s has two attributes named '%s'",
                push_node_label(L, node, index), str(a->name));
    lua_pop(L, 1);
    push_attribute_value(L, d, a, node, index);
    lua_setfield(L, -2, str(a->name));
  }
  lua_setfield(L, -2, "attributes");
}

/* { name, elem_type, dims }: dims are integers, strings for symbolic
   dimensions and false for unknown ones; nil when even the rank is
   unknown or the value is not a tensor. */
static void push_value_info(lua_State *L, const Onnx__ValueInfoProto *v)
{
  const Onnx__TypeProto *type = v->type;
  const Onnx__TypeProto__Tensor *tensor =
      type && type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ? type->tensor_type : NULL;
  size_t i;
  lua_createtable(L, 0, 3);
  set_string(L, "name", v->name);
  set_integer(L, "elem_type", tensor && tensor->has_elem_type ? tensor->elem_type : 0);
  if (!tensor || !tensor->shape)
    return;
  lua_createtable(L, hint(tensor->shape->n_dim), 0);
  for (i = 0; i < tensor->shape->n_dim; i++) {
    const Onnx__TensorShapeProto__Dimension *dim = tensor->shape->dim[i];
    if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && dim->dim_value >= 0)
      lua_pushinteger(L, dim->dim_value);
    else if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
      lua_pushstring(L, str(dim->dim_param));
    else                            /* some exporters write -1 for "unknown" */
      lua_pushboolean(L, 0);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "dims");
}

static void push_value_infos(lua_State *L, Onnx__ValueInfoProto **values, size_t n)
{
  size_t i;
  lua_createtable(L, hint(n), 0);
  for (i = 0; i < n; i++) {
    push_value_info(L, values[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static void push_initializers(lua_State *L, struct decoder *d, const Onnx__GraphProto *graph)
{
  size_t i;
  if (graph->n_sparse_initializer > 0) {
    const Onnx__SparseTensorProto *s = graph->sparse_initializer[0];
    bad_input(L, d, "tensor '%s' is a sparse initializer, which convgen does not read",
              str(s->values ? s->values->name : NULL));
  }
  lua_createtable(L, 0, hint(graph->n_initializer));
  for (i = 0; i < graph->n_initializer; i++) {
    const Onnx__TensorProto *t = graph->initializer[i];
    if (lua_getfield(L, -1, str(t->name)) != LUA_TNIL)
      bad_input(L, d, "two initializers are named '%s'", str(t->name));
    lua_pop(L, 1);
    push_tensor_record(L, d, t, lua_pushfstring(L, "tensor '%s'", str(t->name)));
    lua_setfield(L, -3, str(t->name));
    lua_pop(L, 1);                                  /* the description */
  }
}

static void push_graph(lua_State *L, struct decoder *d, const Onnx__GraphProto *graph)
{
  size_t i;
  lua_createtable(L, 0, 5);
  set_string(L, "name", graph->name);
  lua_createtable(L, hint(graph->n_node), 0);
  for (i = 0; i < graph->n_node; i++) {
    push_node(L, d, graph->node[i], i);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "nodes");
  push_initializers(L, d, graph);
  lua_setfield(L, -2, "initializers");
  push_value_infos(L, graph->input, graph->n_input);
  lua_setfield(L, -2, "inputs");
  push_value_infos(L, graph->output, graph->n_output);
  lua_setfield(L, -2, "outputs");
}

static void push_opsets(lua_State *L, struct decoder *d, const Onnx__ModelProto *model)
{
  size_t i;
  lua_createtable(L, 0, hint(model->n_opset_import));
  for (i = 0; i < model->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *opset = model->opset_import[i];
    const char *domain = domain_name(opset->domain);
    if (lua_getfield(L, -1, domain) != LUA_TNIL)
      bad_input(L, d, "the model imports domain '%s' twice", domain);
    lua_pop(L, 1);
    set_integer(L, domain, opset->has_version ? opset->version : 0);
  }
}

/* Runs under lua_pcall, so that the message is freed whatever happens. */
static int build_model(lua_State *L)
{
  struct decoder *d = lua_touserdata(L, 1);
  const Onnx__ModelProto *model = d->model;
  luaL_checkstack(L, 30, "ONNX model");
  luaL_requiref(L, "tensor", luaopen_tensor, 0);    /* the loaded module, if any */
  lua_getfield(L, -1, "from_f32le");
  d->from_f32le = lua_gettop(L);
  if (!model->graph)
    bad_input(L, d, NOT_ONNX "no graph");
  lua_createtable(L, 0, 5);
  set_integer(L, "ir_version", model->has_ir_version ? model->ir_version : 0);
  set_string(L, "producer_name", model->producer_name);
  set_string(L, "producer_version", model->producer_version);
  push_opsets(L, d, model);
  lua_setfield(L, -2, "opsets");
  push_graph(L, d, model->graph);
  lua_setfield(L, -2, "graph");
  return 1;
}

/* ---- the module --------------------------------------------------------- */

static int fail(lua_State *L, const char *message)
{
  lua_pushnil(L);
  lua_pushstring(L, message);
  return 2;
}

/* onnx.decode(bytes) -> model | nil, message */
static int onnx_decode(lua_State *L)
{
  size_t len;
  const uint8_t *bytes = (const uint8_t *)luaL_checklstring(L, 1, &len);
  struct pb_allocator pa;
  ProtobufCAllocator allocator;
  struct decoder d;
  Onnx__ModelProto *model;
  int status;
  switch (check_nesting(&onnx__model_proto__descriptor, bytes, bytes + len, 0)) {
  case NESTING_CORRUPT:
    return fail(L, CORRUPT);
  case NESTING_DEEP:
    lua_pushnil(L);
    lua_pushfstring(L, NOT_ONNX "messages nested more than %d deep", MAX_NESTING);
    return 2;
  case NESTING_OK:
    break;
  }
  pa.alloc = lua_getallocf(L, &pa.ud);
  pa.failed = 0;
  allocator.alloc = pb_alloc;
  allocator.free = pb_free;
  allocator.allocator_data = &pa;
  model = onnx__model_proto__unpack(&allocator, len, bytes);
  if (!model) {
    if (pa.failed)
      return luaL_error(L, "not enough memory to decode the ONNX model");
    return fail(L, CORRUPT);
  }
  d.model = model;
  d.bad_input = 0;
  lua_pushcfunction(L, build_model);
  lua_pushlightuserdata(L, &d);
  status = lua_pcall(L, 1, 1, 0);                   /* stack: bytes, model|err */
  onnx__model_proto__free_unpacked(model, &allocator);
  if (status == LUA_OK)
    return 1;
  if (!d.bad_input)
    return lua_error(L);                            /* memory, not the file */
  lua_pushnil(L);
  lua_insert(L, -2);                                /* stack: bytes, nil, message */
  return 2;
}

int luaopen_onnx(lua_State *L)
{
  static const luaL_Reg functions[] = {
    {"decode", onnx_decode},
    {NULL, NULL}
  };
  luaL_newlib(L, functions);
  return 1;
}

/* strata connector plugin ABI, version 1.
 *
 * A connector is a shared library exporting two C functions (below). strata loads it by name
 * (`<plugin dir>/libstrata-<name>.so`) or by `path:`, checks STRATA_CONNECTOR_ABI_VERSION, creates
 * one instance per role it is configured for, and talks to it only through these structs. C only,
 * fixed-width types, no C++ objects across the boundary: a connector built by another compiler,
 * or in another language, keeps working across strata releases of the same ABI version.
 *
 * Growth without breaking: every struct starts with `struct_size` (the size the writer knew).
 * A reader uses a field only when `struct_size` covers it; new fields are only ever appended.
 * Optional features are announced with capability bits; an unknown bit is ignored.
 *
 * Lifecycle and errors (SEMANTICS.md Part B section 2, strata's rules in Part A):
 *   - create() returns an instance that is NOT ready; start() completes once it is connected.
 *   - Per-operation errors go to that operation's completion (code != STRATA_OK, a message).
 *     STRATA_UNAVAILABLE means "backend down, retry later": strata keeps and retries writes.
 *   - General errors (connection lost, restored) go to host->on_event, never to an operation.
 *   - A missing record is not an error: the get completion has found = 0.
 *   - Serialisation is the connector's: strata hands over JSON text and a version.
 *
 * Fenced writes (STRATA_CAP_FENCED, for strata clusters): several strata nodes may write the same
 * record late or twice (a slow node, a sweeper finishing a dead node's work). Each such write
 * carries a fence, the record's cluster-wide sequence number (uint64, strictly growing per
 * record across all nodes, roughly microseconds). The connector stores the fence with the record
 * and applies a fenced write only if the fence it holds for that name is lower, or if it holds
 * none (a record written without a fence, by an unfenced set or by another program). A fenced
 * delete leaves a tombstone carrying its fence instead of removing the record, so that a late
 * older set cannot resurrect it; get and get_bulk answer a tombstone as found = 0. A write that
 * meets a higher or equal fence is "fenced": not applied, yet a success for strata (a newer
 * state of the same record is already stored). The connector may purge tombstones after a
 * while (long after any late write could still arrive). An unfenced set over a tombstone or a
 * fenced record overwrites it and clears its fence; an unfenced del removes it, tombstone
 * included. Fences are compared as unsigned 64-bit integers; a connector whose store only has
 * signed 64-bit integers refuses fences above INT64_MAX with STRATA_INVALID_ARGUMENT.
 * Threading: every function may be called from any strata thread, concurrently. Each completion
 * must be called exactly once, from any thread, possibly before the call returns. Pointers passed
 * in (names, JSON, arrays) are valid only until the call returns: copy what you keep. Pointers
 * passed to a completion need to stay valid only until the completion returns.
 */
#ifndef STRATA_CONNECTOR_ABI_H_
#define STRATA_CONNECTOR_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STRATA_CONNECTOR_ABI_VERSION 1u

/* Status codes: the same numbers as strata::StatusCode. */
enum {
  STRATA_OK = 0,
  STRATA_INVALID_ARGUMENT = 1,
  STRATA_NOT_FOUND = 2,
  STRATA_ALREADY_EXISTS = 3,
  STRATA_ABORTED = 4,
  STRATA_DEADLINE_EXCEEDED = 5,
  STRATA_UNAVAILABLE = 6,
  STRATA_RESOURCE_EXHAUSTED = 7,
  STRATA_FAILED_PRECONDITION = 8,
  STRATA_DATA_LOSS = 9,
  STRATA_CANCELLED = 10,
  STRATA_INTERNAL = 11
};

/* Roles a connector can play (bit set). */
enum { STRATA_ROLE_CACHE = 1u, STRATA_ROLE_STORAGE = 2u };

/* Capabilities (bit set in strata_connector_vtable.capabilities). */
enum {
  STRATA_CAP_SET_BULK = 1u << 0,    /* set_bulk is implemented natively */
  STRATA_CAP_DELETE_BULK = 1u << 1, /* delete_bulk is implemented natively */
  STRATA_CAP_HEAD = 1u << 2,        /* head is cheaper than get (caches) */
  STRATA_CAP_GET_BULK = 1u << 3,    /* get_bulk is implemented natively */
  /* set_bulk_fenced and delete_bulk_fenced are implemented (clusters, SEMANTICS A.9):
   * conditional writes by sequence number, tombstones. strata calls them only with this bit. */
  STRATA_CAP_FENCED = 1u << 4
};

/* Connection-level events, reported through strata_host.on_event. */
enum {
  STRATA_EVENT_CONNECTION_LOST = 1,
  STRATA_EVENT_CONNECTION_RESTORED = 2,
  STRATA_EVENT_ERROR = 3
};

/* Log levels for strata_host.log. */
enum { STRATA_LOG_DEBUG = 0, STRATA_LOG_INFO = 1, STRATA_LOG_WARN = 2, STRATA_LOG_ERROR = 3 };

typedef struct strata_str {
  const char* data;
  size_t size;
} strata_str;

typedef struct strata_record {
  strata_str name;
  int32_t version;
  strata_str json;
} strata_record;

/* Completions. `ctx` is the value strata passed with the call. */
typedef void (*strata_done_fn)(void* ctx, int32_t code, strata_str message);
typedef void (*strata_get_fn)(void* ctx, int32_t code, strata_str message, int32_t found,
                              int32_t version, strata_str json);
/* One answer of get_bulk: found = 0 means no such record (version and json unused). */
typedef struct strata_found {
  int32_t found;
  int32_t version;
  strata_str json;
} strata_found;
/* results[i] answers names[i]; count is the number of names asked. On error results is NULL. */
typedef void (*strata_get_bulk_fn)(void* ctx, int32_t code, strata_str message,
                                   const strata_found* results, size_t count);
typedef void (*strata_head_fn)(void* ctx, int32_t code, strata_str message, int32_t found,
                               int32_t version);
/* The answer of a fenced write: applied[i] = 1 if row i was written, 0 if it was fenced (the
 * connector already held a newer fence for that name: superseded, which is a success). count is
 * the number of rows asked. On error applied is NULL and no row may be assumed written or not. */
typedef void (*strata_fenced_fn)(void* ctx, int32_t code, strata_str message,
                                 const uint8_t* applied, size_t count);

/* What strata offers a connector instance. Valid until the instance is destroyed. */
typedef struct strata_host {
  uint32_t struct_size;
  void* ctx;
  void (*on_event)(void* ctx, int32_t event, strata_str detail);
  void (*log)(void* ctx, int32_t level, strata_str message);
} strata_host;

/* The operations of one instance. `self` is the instance create() returned. Functions a role
 * does not need may be NULL: cache role needs get/set/del (head optional), storage role needs
 * get/set/del; get_bulk/set_bulk/delete_bulk are optional (strata loops over get/set/del without
 * them); set_bulk_fenced/delete_bulk_fenced are optional (without them, or without
 * STRATA_CAP_FENCED, the connector cannot serve a strata cluster). */
typedef struct strata_connector_vtable {
  uint32_t struct_size;
  uint64_t capabilities;
  void (*destroy)(void* self); /* after close() completed, or if start() was never called */
  void (*start)(void* self, strata_done_fn done, void* ctx);
  void (*close)(void* self, strata_done_fn done, void* ctx);
  void (*get)(void* self, strata_str name, strata_get_fn done, void* ctx);
  void (*set)(void* self, const strata_record* record, strata_done_fn done, void* ctx);
  void (*del)(void* self, strata_str name, strata_done_fn done, void* ctx);
  void (*set_bulk)(void* self, const strata_record* records, size_t count, strata_done_fn done,
                   void* ctx);
  void (*delete_bulk)(void* self, const strata_str* names, size_t count, strata_done_fn done,
                      void* ctx);
  void (*head)(void* self, strata_str name, strata_head_fn done, void* ctx);
  /* Appended later in version 1 (read it only when struct_size covers it): reads many records in
   * one go. Optional; without it strata calls get once per name. Names in one call are distinct. */
  void (*get_bulk)(void* self, const strata_str* names, size_t count, strata_get_bulk_fn done,
                   void* ctx);
  /* Appended later in version 1 (read them only when struct_size covers them), called only when
   * capabilities has STRATA_CAP_FENCED: fenced writes (see the top of this file). fences[i] is
   * the fence of records[i] (names[i]); names in one call are distinct. set_bulk_fenced writes
   * records[i] where its fence is newer; delete_bulk_fenced leaves a tombstone carrying
   * fences[i] where its fence is newer (also for a name never written). Each call answers every
   * row in `done`. */
  void (*set_bulk_fenced)(void* self, const strata_record* records, const uint64_t* fences,
                          size_t count, strata_fenced_fn done, void* ctx);
  void (*delete_bulk_fenced)(void* self, const strata_str* names, const uint64_t* fences,
                             size_t count, strata_fenced_fn done, void* ctx);
} strata_connector_vtable;

/* Static facts about the library, returned by strata_connector_info(). */
typedef struct strata_connector_info {
  uint32_t struct_size;
  uint32_t abi_version;    /* STRATA_CONNECTOR_ABI_VERSION the library was built for */
  const char* name;        /* registered name, e.g. "redis" */
  const char* version;     /* the connector's own version, e.g. "1.0.0" */
  uint32_t roles;          /* STRATA_ROLE_* it can play */
  const char* description; /* one line */
  const char*
      example_config; /* YAML printed by `strata install`, e.g. "cache:\n  name: redis\n..." */
} strata_connector_info;

/* Exported by every connector library. */
const strata_connector_info* strata_connector_get_info(void);
/* Creates an instance for `role` (one STRATA_ROLE_* bit) with options as a JSON object.
 * Returns STRATA_OK and sets *self and *vtable, or an error code and writes a NUL-terminated
 * message (naming the bad option, e.g. "storage.options.port: expected an integer") into
 * error[0..error_capacity). The instance must not connect before start(). */
int32_t strata_connector_create(uint32_t role, strata_str options_json, const strata_host* host,
                                void** self, const strata_connector_vtable** vtable, char* error,
                                size_t error_capacity);

typedef const strata_connector_info* (*strata_connector_get_info_fn)(void);
typedef int32_t (*strata_connector_create_fn)(uint32_t, strata_str, const strata_host*, void**,
                                              const strata_connector_vtable**, char*, size_t);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STRATA_CONNECTOR_ABI_H_ */

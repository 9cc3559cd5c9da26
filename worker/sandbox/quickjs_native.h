// The part of QuickJS's C API that the native engine (engine_native.go)
// calls, declared for 64-bit platforms, where a JSValue is a 16-byte
// struct (no NaN boxing). The library itself is Bellard's QuickJS as
// github.com/buke/quickjs-go v0.6.5 ships it prebuilt (libquickjs.a,
// linked through that package's cgo flags). Only the C library is used:
// not that package's Go API, whose contexts load QuickJS's std and os
// modules (files, processes) where agent code could import them.
//
// TestEngineValues checks these declarations against the library: every
// value kind crosses in both directions.

#ifndef COVE_QUICKJS_NATIVE_H
#define COVE_QUICKJS_NATIVE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>

typedef struct JSRuntime JSRuntime;
typedef struct JSContext JSContext;

typedef union JSValueUnion {
	int32_t int32;
	double float64;
	void *ptr;
	int64_t short_big_int;
} JSValueUnion;

typedef struct JSValue {
	JSValueUnion u;
	int64_t tag;
} JSValue;

_Static_assert(sizeof(JSValue) == 16, "the native engine is declared for 64-bit QuickJS (no NaN boxing)");

// Tags; every tag from JS_TAG_FIRST up to -1 has a reference count.
enum {
	COVE_TAG_FIRST = -9,
	COVE_TAG_STRING = -7,
	COVE_TAG_STRING_ROPE = -6,
	COVE_TAG_OBJECT = -1,
	COVE_TAG_INT = 0,
	COVE_TAG_BOOL = 1,
	COVE_TAG_NULL = 2,
	COVE_TAG_UNDEFINED = 3,
	COVE_TAG_EXCEPTION = 6,
	COVE_TAG_FLOAT64 = 8,
};

enum {
	COVE_EVAL_TYPE_GLOBAL = 0,
	COVE_EVAL_FLAG_COMPILE_ONLY = 1 << 5,
	COVE_WRITE_OBJ_BYTECODE = 1 << 0,
	COVE_READ_OBJ_BYTECODE = 1 << 0,
	COVE_STRIP_SOURCE = 1 << 0,
	COVE_CFUNC_GENERIC = 0,
};

typedef int JSInterruptHandler(JSRuntime *rt, void *opaque);
typedef JSValue JSCFunction(JSContext *ctx, JSValue this_val, int argc, JSValue *argv);

JSRuntime *JS_NewRuntime(void);

// A runtime's allocator (quickjs.h's JSMallocState and JSMallocFunctions).
typedef struct JSMallocState {
	size_t malloc_count;
	size_t malloc_size;
	size_t malloc_limit;
	void *opaque;
} JSMallocState;

typedef struct JSMallocFunctions {
	void *(*js_malloc)(JSMallocState *s, size_t size);
	void (*js_free)(JSMallocState *s, void *ptr);
	void *(*js_realloc)(JSMallocState *s, void *ptr, size_t size);
	size_t (*js_malloc_usable_size)(const void *ptr);
} JSMallocFunctions;

JSRuntime *JS_NewRuntime2(const JSMallocFunctions *mf, void *opaque);
void JS_FreeRuntime(JSRuntime *rt);
JSContext *JS_NewContext(JSRuntime *rt);
void JS_FreeContext(JSContext *ctx);
void JS_SetMemoryLimit(JSRuntime *rt, size_t limit);
void JS_SetMaxStackSize(JSRuntime *rt, size_t stack_size);
void JS_UpdateStackTop(JSRuntime *rt);
void JS_SetCanBlock(JSRuntime *rt, int can_block);
void JS_SetInterruptHandler(JSRuntime *rt, JSInterruptHandler *cb, void *opaque);
void JS_SetStripInfo(JSRuntime *rt, int flags);
void JS_SetContextOpaque(JSContext *ctx, void *opaque);
void *JS_GetContextOpaque(JSContext *ctx);
void __JS_FreeValue(JSContext *ctx, JSValue v);
JSValue JS_Eval(JSContext *ctx, const char *input, size_t input_len, const char *filename, int eval_flags);
uint8_t *JS_WriteObject(JSContext *ctx, size_t *psize, JSValue obj, int flags);
JSValue JS_ReadObject(JSContext *ctx, const uint8_t *buf, size_t buf_len, int flags);
JSValue JS_EvalFunction(JSContext *ctx, JSValue fun_obj);
void js_free(JSContext *ctx, void *ptr);
JSValue JS_Call(JSContext *ctx, JSValue func_obj, JSValue this_obj, int argc, JSValue *argv);
int JS_ExecutePendingJob(JSRuntime *rt, JSContext **pctx);
JSValue JS_GetException(JSContext *ctx);
JSValue JS_NewStringLen(JSContext *ctx, const char *str, size_t len);
const char *JS_ToCStringLen2(JSContext *ctx, size_t *plen, JSValue val, int cesu8);
void JS_FreeCString(JSContext *ctx, const char *ptr);
JSValue JS_NewCFunction2(JSContext *ctx, JSCFunction *func, const char *name, int length, int cproto, int magic);
JSValue JS_GetGlobalObject(JSContext *ctx);
JSValue JS_GetPropertyStr(JSContext *ctx, JSValue this_obj, const char *prop);
int JS_SetPropertyStr(JSContext *ctx, JSValue this_obj, const char *prop, JSValue val);
JSValue JS_ThrowTypeError(JSContext *ctx, const char *fmt, ...);
JSValue JS_ThrowInternalError(JSContext *ctx, const char *fmt, ...);
void JS_SetUncatchableException(JSContext *ctx, int flag);

JSRuntime *JS_GetRuntime(JSContext *ctx);
int JS_IsJobPending(JSRuntime *rt);
int JS_PromiseState(JSContext *ctx, JSValue promise); // -1: not a promise
JSValue JS_PromiseResult(JSContext *ctx, JSValue promise); // a new reference
enum { COVE_PROMISE_FULFILLED = 1 };
typedef uint32_t JSAtom;
typedef struct JSPropertyDescriptor {
	int flags;
	JSValue value;
	JSValue getter;
	JSValue setter;
} JSPropertyDescriptor;
JSAtom JS_NewAtom(JSContext *ctx, const char *str);
void JS_FreeAtom(JSContext *ctx, JSAtom v);
// 1 found (desc, when not NULL, holds new references), 0 not, -1 thrown.
int JS_GetOwnProperty(JSContext *ctx, JSPropertyDescriptor *desc, JSValue obj, JSAtom prop);

// The host function, in Go (engine_native.go).
extern JSValue coveNativeHost(JSContext *ctx, int argc, JSValue *argv);

static inline void cove_free(JSContext *ctx, JSValue v) {
	if ((uint32_t)(int32_t)v.tag >= (uint32_t)COVE_TAG_FIRST) {
		int *ref_count = (int *)v.u.ptr;
		if (--*ref_count <= 0) {
			__JS_FreeValue(ctx, v);
		}
	}
}

// cove_dup is JS_DupValue: v with one more reference.
static inline JSValue cove_dup(JSValue v) {
	if ((uint32_t)(int32_t)v.tag >= (uint32_t)COVE_TAG_FIRST) {
		(*(int *)v.u.ptr)++;
	}
	return v;
}

static inline JSValue cove_mkval(int64_t tag, int32_t v) {
	JSValue r;
	r.u.short_big_int = 0;
	r.u.int32 = v;
	r.tag = tag;
	return r;
}

// The deadline and stop flag of a VM, read by its interrupt handler every
// few thousand operations of JavaScript. Go sets them (the stop flag from
// any thread); C memory, so they stay put for the VM's life.
typedef struct cove_limits {
	int64_t deadline_ns; // CLOCK_MONOTONIC
	int32_t stop;
} cove_limits;

static inline int64_t cove_now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int cove_interrupt(JSRuntime *rt, void *opaque) {
	cove_limits *l = (cove_limits *)opaque;
	if (__atomic_load_n(&l->stop, __ATOMIC_RELAXED)) {
		return 1;
	}
	return cove_now_ns() >= l->deadline_ns;
}

// cove_drain runs queued promise jobs, at most max, in one crossing from
// Go: until none is left (COVE_DRAIN_DONE), one throws (COVE_DRAIN_THREW,
// its exception pending), the VM is interrupted after a job (a deadline,
// a stop, or a host function's panic, which stops it:
// COVE_DRAIN_INTERRUPTED) or max ran (COVE_DRAIN_CAPPED). It returns
// the jobs run times 4 plus that outcome.
enum { COVE_DRAIN_DONE, COVE_DRAIN_THREW, COVE_DRAIN_INTERRUPTED, COVE_DRAIN_CAPPED };

static inline int64_t cove_drain(JSRuntime *rt, cove_limits *l, int64_t max) {
	JSContext *jctx;
	int64_t n = 0;
	while (n < max) {
		int r = JS_ExecutePendingJob(rt, &jctx);
		if (r == 0) {
			return n * 4 + COVE_DRAIN_DONE;
		}
		n++;
		if (r < 0) {
			return n * 4 + COVE_DRAIN_THREW;
		}
		if (cove_interrupt(rt, l)) {
			return n * 4 + COVE_DRAIN_INTERRUPTED;
		}
	}
	return n * 4 + COVE_DRAIN_CAPPED;
}

static inline void cove_set_timeout(cove_limits *l, int64_t ns) {
	l->deadline_ns = cove_now_ns() + ns;
}

static inline void cove_stop(cove_limits *l) {
	__atomic_store_n(&l->stop, 1, __ATOMIC_RELAXED);
}

static inline void cove_set_interrupt(JSRuntime *rt, cove_limits *l) {
	JS_SetInterruptHandler(rt, cove_interrupt, l);
}

static inline JSValue cove_host_trampoline(JSContext *ctx, JSValue this_val, int argc, JSValue *argv) {
	return coveNativeHost(ctx, argc, argv);
}

// cove_define_global defines globalThis[name] as a new function of C
// that takes length arguments; -1 when it could not.
static inline int cove_define_global(JSContext *ctx, const char *name, JSCFunction *f, int length) {
	JSValue fn = JS_NewCFunction2(ctx, f, name, length, COVE_CFUNC_GENERIC, 0);
	if (fn.tag == COVE_TAG_EXCEPTION) {
		return -1;
	}
	JSValue global = JS_GetGlobalObject(ctx);
	int r = JS_SetPropertyStr(ctx, global, name, fn); // takes fn
	cove_free(ctx, global);
	return r;
}

// cove_register_host defines globalThis[name] as the host function.
static inline int cove_register_host(JSContext *ctx, const char *name) {
	return cove_define_global(ctx, name, cove_host_trampoline, 0);
}

// cove_settled is the runtime's settled(p, none, Promise, Promise.prototype)
// (prelude.js, run), the last two the intrinsics as the runtime found them:
// p's value when p is a promise already fulfilled, no job is queued, and
// p.constructor is that Promise as a plain data property that p does not
// have of its own (so reading it runs no code); else none. The runtime
// then also checks that p's prototype is that Promise.prototype. Otherwise
// it awaits p, which reads p.constructor (a plain read, then) and queues
// one job: with none queued before it, that job is the next to run and
// answers with p's value, which answering now does, one job sooner.
static inline int cove_plain_constructor(JSContext *ctx, JSValue p, JSValue ctor, JSValue proto) {
	if (proto.tag != COVE_TAG_OBJECT || ctor.tag != COVE_TAG_OBJECT) {
		return 0;
	}
	JSAtom atom = JS_NewAtom(ctx, "constructor");
	int r = JS_GetOwnProperty(ctx, NULL, p, atom);
	int ok = r == 0;
	if (ok) {
		JSPropertyDescriptor d;
		r = JS_GetOwnProperty(ctx, &d, proto, atom);
		ok = r == 1;
		if (ok) {
			// An accessor's value is undefined: only a data property matches.
			ok = d.value.tag == COVE_TAG_OBJECT && d.value.u.ptr == ctor.u.ptr;
			cove_free(ctx, d.value);
			cove_free(ctx, d.getter);
			cove_free(ctx, d.setter);
		}
	}
	JS_FreeAtom(ctx, atom);
	if (r < 0) {
		// Not for a promise and an ordinary object; should it ever
		// throw, the runtime awaits instead, with nothing left pending.
		cove_free(ctx, JS_GetException(ctx));
	}
	return ok;
}

static inline JSValue cove_settled(JSContext *ctx, JSValue this_val, int argc, JSValue *argv) {
	if (argc < 4) {
		return JS_ThrowTypeError(ctx, "%s", "settled: 4 arguments");
	}
	if (JS_IsJobPending(JS_GetRuntime(ctx)) || JS_PromiseState(ctx, argv[0]) != COVE_PROMISE_FULFILLED ||
	    !cove_plain_constructor(ctx, argv[0], argv[2], argv[3])) {
		return cove_dup(argv[1]); // returned: a new reference
	}
	return JS_PromiseResult(ctx, argv[0]);
}

// cove_register_settled defines globalThis.__cove_settled, which the
// runtime takes and deletes before any agent code runs.
static inline int cove_register_settled(JSContext *ctx) {
	return cove_define_global(ctx, "__cove_settled", cove_settled, 4);
}

static inline JSValue cove_throw_type_error(JSContext *ctx, const char *msg) {
	return JS_ThrowTypeError(ctx, "%s", msg);
}

// cove_throw_uncatchable throws an InternalError no catch or finally
// block of the script runs for, as QuickJS does for an interrupt.
static inline JSValue cove_throw_uncatchable(JSContext *ctx, const char *msg) {
	JSValue r = JS_ThrowInternalError(ctx, "%s", msg);
	JS_SetUncatchableException(ctx, 1);
	return r;
}

// cove_eval_bytecode reads bytecode and evaluates it.
static inline JSValue cove_eval_bytecode(JSContext *ctx, const uint8_t *buf, size_t n) {
	JSValue obj = JS_ReadObject(ctx, buf, n, COVE_READ_OBJ_BYTECODE);
	if (obj.tag == COVE_TAG_EXCEPTION) {
		return obj;
	}
	return JS_EvalFunction(ctx, obj); // takes obj
}

static inline JSValue cove_undefined(void) { return cove_mkval(COVE_TAG_UNDEFINED, 0); }

// cove_free_args frees the arguments whose bits are set in owned.
static inline void cove_free_args(JSContext *ctx, int argc, JSValue *argv, uint32_t owned) {
	for (int i = 0; i < argc; i++) {
		if (owned & (1u << i)) {
			cove_free(ctx, argv[i]);
		}
	}
}

// cove_call calls fn with argv (this undefined), then frees the arguments
// whose bits are set in owned: one crossing from Go instead of one more
// per argument.
static inline JSValue cove_call(JSContext *ctx, JSValue fn, int argc, JSValue *argv, uint32_t owned) {
	JSValue r = JS_Call(ctx, fn, cove_undefined(), argc, argv);
	cove_free_args(ctx, argc, argv, owned);
	return r;
}

// The context's opaque value holds the Go VM's cgo.Handle.
static inline void cove_set_handle(JSContext *ctx, uintptr_t h) { JS_SetContextOpaque(ctx, (void *)h); }
static inline uintptr_t cove_handle(JSContext *ctx) { return (uintptr_t)JS_GetContextOpaque(ctx); }

// cove_thread_stack_size is the stack size of a thread made with the
// default attributes, as the Go runtime makes its threads under cgo.
static inline size_t cove_thread_stack_size(void) {
	pthread_attr_t attr;
	size_t size = 0;
	if (pthread_attr_init(&attr) == 0) {
		pthread_attr_getstacksize(&attr, &size);
		pthread_attr_destroy(&attr);
	}
	return size;
}

static inline cove_limits *cove_new_limits(void) {
	cove_limits *l = (cove_limits *)calloc(1, sizeof(cove_limits));
	if (l) {
		l->deadline_ns = INT64_MAX;
	}
	return l;
}

// ---------- a VM's heap ----------
// Each VM allocates from its own heap (cove_heap), not through glibc's
// malloc one block at a time: QuickJS makes and frees many small blocks on
// every request, and malloc, free and the malloc_usable_size QuickJS calls
// for its accounting were ~15% of the engine's time (issue 13). Blocks of
// up to COVE_HEAP_SMALL bytes come from free lists, one per multiple of
// 16 bytes, refilled from chunks of COVE_HEAP_CHUNK bytes; larger blocks
// are malloc's. Every block has a 16-byte header (its usable size and a
// check word), so blocks stay 16-byte aligned as malloc's are. A VM runs
// on one thread at a time (engine_native.go), so the heap takes no lock.
//
// Limits. The memory limit (JS_SetMemoryLimit) bounds the live blocks,
// headers included, as QuickJS's own allocator bounds them. A freed small
// block stays on its class's list until the VM is freed, so the chunks
// can hold more than the live blocks when a VM's mix of sizes shifts: the
// chunks are bounded by the limit too, and past it a small block is
// malloc's own (a loose block, marked in its header, given back to malloc
// when freed), so a shift of sizes is never refused while the live blocks
// fit. What the heap holds from the system is then at most twice the
// limit QuickJS is given (isolate.go gives it 1.25 x [limits] memory),
// plus malloc's own overhead on the loose and large blocks. A VM is
// retired after so many calls or seconds (isolate.go), which gives its
// chunks back.
//
// Hardening. A bug in QuickJS that writes past the end of a block (into
// the next block's header) must not make the heap hand out an address of
// the script's choosing: the free lists' links are stored XORed with a
// per-heap random key and the block's own address (as glibc's
// safe-linking does), and a link that does not decode to an aligned
// address, or a header whose check word does not match its size, aborts
// the process (as glibc's checks do) rather than go on. A write through a
// dangling pointer into a freed block's data is not detected (the links
// sit in the header before it), as with any allocator.
#define COVE_HEAP_SMALL 512
#define COVE_HEAP_CLASSES (COVE_HEAP_SMALL / 16)
#define COVE_HEAP_CHUNK (16 << 10)
#define COVE_HEAP_HEADER 16
#define COVE_HEAP_MAX ((size_t)1 << 48) // no request is near it; keeps the sums below from overflowing
#define COVE_HEAP_LOOSE 1               // in a header's size: a small block that is malloc's own

typedef struct cove_chunk {
	struct cove_chunk *next;
	size_t pad; // keeps the blocks after it 16-byte aligned
} cove_chunk;

typedef struct cove_heap {
	uintptr_t free[COVE_HEAP_CLASSES + 1]; // by usable size / 16; a block's header, encoded (cove_heap_link)
	char *next[COVE_HEAP_CLASSES + 1];     // the unused rest of the class's last chunk
	char *end[COVE_HEAP_CLASSES + 1];
	cove_chunk *chunks;
	size_t chunked;   // bytes of chunks
	size_t footprint; // bytes of chunks, large blocks and loose blocks
	uintptr_t key;    // random, for the links and the headers' check words
} cove_heap;

static inline size_t cove_heap_usable(size_t size) {
	return size == 0 ? 16 : (size + 15) & ~(size_t)15;
}

// cove_heap_link encodes (and decodes) the link stored at block p.
static inline uintptr_t cove_heap_link(cove_heap *h, char *p, uintptr_t v) {
	return v ^ h->key ^ ((uintptr_t)p >> 4);
}

static inline void cove_heap_set_header(cove_heap *h, char *p, size_t usable) {
	((size_t *)p)[0] = usable;
	((uintptr_t *)p)[1] = (uintptr_t)usable ^ h->key ^ (uintptr_t)p;
}

// cove_heap_header returns the size word in block p's header (the usable
// size, with COVE_HEAP_LOOSE for a loose block), aborting if the header
// was overwritten.
static inline size_t cove_heap_header(cove_heap *h, char *p) {
	size_t word = ((size_t *)p)[0];
	size_t usable = word & ~(size_t)COVE_HEAP_LOOSE;
	if ((((uintptr_t *)p)[1] ^ h->key ^ (uintptr_t)p) != (uintptr_t)word || usable == 0 || (usable & 15) != 0 || usable > COVE_HEAP_MAX ||
	    ((word & COVE_HEAP_LOOSE) && usable > COVE_HEAP_SMALL)) {
		abort(); // heap corruption: a block's header was overwritten
	}
	return word;
}

// cove_heap_refill gives class c a new chunk, or fails when the chunks
// would hold more than the limit.
static inline int cove_heap_refill(cove_heap *h, JSMallocState *s, int c) {
	size_t n = sizeof(cove_chunk) + COVE_HEAP_CHUNK;
	if (s->malloc_limit <= COVE_HEAP_MAX && h->chunked + n > s->malloc_limit) {
		return 0;
	}
	cove_chunk *k = (cove_chunk *)malloc(n);
	if (k == NULL) {
		return 0;
	}
	k->next = h->chunks;
	h->chunks = k;
	h->chunked += n;
	h->footprint += n;
	size_t block = (size_t)c * 16 + COVE_HEAP_HEADER;
	h->next[c] = (char *)(k + 1);
	h->end[c] = h->next[c] + (COVE_HEAP_CHUNK / block) * block;
	return 1;
}

// cove_heap_alloc allocates size bytes; the caller has checked the limit.
static inline void *cove_heap_alloc(JSMallocState *s, size_t size) {
	cove_heap *h = (cove_heap *)s->opaque;
	size_t usable = cove_heap_usable(size);
	char *p = NULL;
	size_t word = usable;
	if (usable <= COVE_HEAP_SMALL) {
		int c = (int)(usable >> 4);
		if (h->free[c] != 0) {
			p = (char *)h->free[c];
			uintptr_t next = cove_heap_link(h, p, *(uintptr_t *)p);
			if ((next & 15) != 0) {
				abort(); // heap corruption: a freed block's link was overwritten
			}
			h->free[c] = next;
		} else if (h->next[c] != h->end[c] || cove_heap_refill(h, s, c)) {
			p = h->next[c];
			h->next[c] += usable + COVE_HEAP_HEADER;
		} else {
			word |= COVE_HEAP_LOOSE; // the chunks are full: malloc's own
		}
	}
	if (p == NULL) {
		p = (char *)malloc(usable + COVE_HEAP_HEADER);
		if (p == NULL) {
			return NULL;
		}
		h->footprint += usable + COVE_HEAP_HEADER;
	}
	cove_heap_set_header(h, p, word);
	s->malloc_count++;
	s->malloc_size += usable + COVE_HEAP_HEADER;
	return p + COVE_HEAP_HEADER;
}

static inline void *cove_heap_malloc(JSMallocState *s, size_t size) {
	if (size > COVE_HEAP_MAX || s->malloc_size + cove_heap_usable(size) + COVE_HEAP_HEADER > s->malloc_limit) {
		return NULL;
	}
	return cove_heap_alloc(s, size);
}

static inline void cove_heap_free(JSMallocState *s, void *ptr) {
	if (ptr == NULL) {
		return;
	}
	cove_heap *h = (cove_heap *)s->opaque;
	char *p = (char *)ptr - COVE_HEAP_HEADER;
	size_t word = cove_heap_header(h, p);
	size_t usable = word & ~(size_t)COVE_HEAP_LOOSE;
	s->malloc_count--;
	s->malloc_size -= usable + COVE_HEAP_HEADER;
	if (word == usable && usable <= COVE_HEAP_SMALL) {
		int c = (int)(usable >> 4);
		// The link overwrites the size word, so the header's check fails:
		// freeing the block again aborts.
		*(uintptr_t *)p = cove_heap_link(h, p, h->free[c]);
		h->free[c] = (uintptr_t)p;
	} else {
		h->footprint -= usable + COVE_HEAP_HEADER;
		free(p);
	}
}

// cove_heap_usable_size is QuickJS's js_malloc_usable_size, which gets no
// heap: it reads the size unchecked (the checks are on free and realloc).
static inline size_t cove_heap_usable_size(const void *ptr) {
	return ptr == NULL ? 0 : *(const size_t *)((const char *)ptr - COVE_HEAP_HEADER) & ~(size_t)COVE_HEAP_LOOSE;
}

static inline void *cove_heap_realloc(JSMallocState *s, void *ptr, size_t size) {
	if (ptr == NULL) {
		return size == 0 ? NULL : cove_heap_malloc(s, size);
	}
	if (size == 0) {
		cove_heap_free(s, ptr);
		return NULL;
	}
	cove_heap *h = (cove_heap *)s->opaque;
	if (size > COVE_HEAP_MAX) {
		return NULL;
	}
	size_t old = cove_heap_header(h, (char *)ptr - COVE_HEAP_HEADER) & ~(size_t)COVE_HEAP_LOOSE;
	size_t usable = cove_heap_usable(size);
	if (usable == old || (usable < old && old <= COVE_HEAP_SMALL)) {
		return ptr; // a small block shrinks in place
	}
	// The limit is checked on the change, as QuickJS's allocator does: a
	// shrink never fails on it.
	if (usable > old && s->malloc_size - old + usable > s->malloc_limit) {
		return NULL;
	}
	if (old > COVE_HEAP_SMALL && usable > COVE_HEAP_SMALL) {
		// Large to large: malloc's realloc, which may grow in place.
		char *p = (char *)realloc((char *)ptr - COVE_HEAP_HEADER, usable + COVE_HEAP_HEADER);
		if (p == NULL) {
			return NULL;
		}
		cove_heap_set_header(h, p, usable);
		h->footprint = h->footprint - old + usable;
		s->malloc_size = s->malloc_size - old + usable;
		return p + COVE_HEAP_HEADER;
	}
	void *q = cove_heap_alloc(s, size);
	if (q == NULL) {
		return NULL;
	}
	memcpy(q, ptr, old < usable ? old : usable);
	cove_heap_free(s, ptr);
	return q;
}

static const JSMallocFunctions cove_heap_functions = {
	cove_heap_malloc, cove_heap_free, cove_heap_realloc, cove_heap_usable_size,
};

// cove_new_runtime makes a runtime with its own heap, keyed by key (random,
// from the host), which it returns in *heap for cove_free_runtime.
static inline JSRuntime *cove_new_runtime(cove_heap **heap, uint64_t key) {
	cove_heap *h = (cove_heap *)calloc(1, sizeof(cove_heap));
	if (h == NULL) {
		return NULL;
	}
	h->key = (uintptr_t)key;
	JSRuntime *rt = JS_NewRuntime2(&cove_heap_functions, h);
	if (rt == NULL) {
		free(h);
		return NULL;
	}
	*heap = h;
	return rt;
}

// cove_heap_release gives h's chunks back to the system. (A large or
// loose block QuickJS never freed is not tracked, and stays allocated, as
// it did under QuickJS's own allocator.)
static inline void cove_heap_release(cove_heap *h) {
	while (h->chunks != NULL) {
		cove_chunk *k = h->chunks;
		h->chunks = k->next;
		free(k);
	}
}

// cove_free_runtime frees rt, then its heap.
static inline void cove_free_runtime(JSRuntime *rt, cove_heap *h) {
	JS_FreeRuntime(rt);
	cove_heap_release(h);
	free(h);
}

// cove_heap_corrupt makes a heap, corrupts it as which says, and uses it:
// 1 changes a live block's size to another valid one (as an overflow of
// the block before it could) and frees the block; 2 overwrites a freed
// block's link and allocates twice from its list; 3 frees a block twice;
// 0 does the same allocations without corrupting anything. Every corruption must abort
// the process; 0 returns. For TestHeapCorruptionAborts.
static inline int cove_heap_corrupt(int which) {
	cove_heap h;
	memset(&h, 0, sizeof(h));
	h.key = (uintptr_t)0x5bd1e995u * 2654435761u;
	JSMallocState s = {0, 0, (size_t)-1, &h};
	char *a = (char *)cove_heap_malloc(&s, 40);
	char *b = (char *)cove_heap_malloc(&s, 40);
	if (a == NULL || b == NULL) {
		return -1;
	}
	switch (which) {
	case 1:
		*(size_t *)(b - COVE_HEAP_HEADER) += 16; // a's overflow into b's size, to another valid one
		cove_heap_free(&s, b);
		break;
	case 2:
		cove_heap_free(&s, b);
		memset(b - COVE_HEAP_HEADER, 0x41, 8); // b's link
		cove_heap_malloc(&s, 40);
		cove_heap_malloc(&s, 40);
		break;
	case 3:
		cove_heap_free(&s, b);
		cove_heap_free(&s, b);
		break;
	default:
		cove_heap_free(&s, b);
		cove_heap_free(&s, a);
	}
	cove_heap_release(&h);
	return 0;
}

// cove_heap_footprint is the bytes the heap holds from the system.
static inline size_t cove_heap_footprint(cove_heap *h) { return h->footprint; }

// cove_heap_selftest drives a heap of its own through steps random
// mallocs, reallocs and frees (sizes around the small/large boundary, each
// class's edges, and one class after another, so that the chunks fill and
// loose blocks are made), under a limit of limit bytes, and checks after
// each that every live block still holds what was written to it and that
// the counts and sizes add up: the live blocks within the limit, the
// chunks too, and the footprint the chunks plus malloc's own blocks. It
// returns 0, or the first failing step's number (+1), negated for an
// accounting error.
static inline int64_t cove_heap_selftest(uint64_t seed, int64_t steps, size_t limit) {
	enum { SLOTS = 512 };
	cove_heap h;
	memset(&h, 0, sizeof(h));
	h.key = (uintptr_t)(seed * 0x9E3779B97F4A7C15ull);
	JSMallocState s = {0, 0, limit, &h};
	unsigned char *ptr[SLOTS] = {0};
	size_t len[SLOTS] = {0};
	unsigned char tag[SLOTS] = {0};
	uint64_t x = seed | 1;
	int64_t bad = 0;
	for (int64_t step = 0; step < steps && bad == 0; step++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		int i = (int)(x % SLOTS);
		size_t n;
		switch ((x >> 16) % 5) {
		case 4: n = 16 * (1 + (step / 5000) % COVE_HEAP_CLASSES) - (x >> 24) % 16; break; // a class per phase: the mix shifts
		case 0: n = 1 + (x >> 24) % 64; break;
		case 1: n = COVE_HEAP_SMALL - 24 + (x >> 24) % 48; break; // across the boundary
		case 2: n = 1 + (x >> 24) % 4096; break;
		default: n = 16 * (1 + (x >> 24) % 40) + ((x >> 40) % 3) - 1; break; // class edges
		}
		int op = (int)((x >> 8) % 3);
		if (step % 1000 == 999) {
			// The edges: realloc of NULL and to 0, a size past the maximum.
			if (ptr[i] == NULL) {
				unsigned char *q = (unsigned char *)cove_heap_realloc(&s, NULL, 24);
				if (q != NULL) {
					ptr[i] = q;
					len[i] = 0;
				}
			} else {
				if (cove_heap_realloc(&s, ptr[i], 0) != NULL) {
					bad = step + 1;
				}
				ptr[i] = NULL;
				len[i] = 0;
			}
			if (cove_heap_malloc(&s, COVE_HEAP_MAX + 1) != NULL || cove_heap_realloc(&s, ptr[(i + 1) % SLOTS], COVE_HEAP_MAX + 1) != NULL) {
				bad = step + 1;
			}
			continue;
		}
		if (ptr[i] != NULL) {
			for (size_t k = 0; k < len[i]; k++) {
				if (ptr[i][k] != (unsigned char)(tag[i] + k)) {
					bad = step + 1;
				}
			}
		}
		if (op == 0 && ptr[i] != NULL) {
			size_t word = *(size_t *)(ptr[i] - COVE_HEAP_HEADER);
			int chunked = (word & COVE_HEAP_LOOSE) == 0 && word <= COVE_HEAP_SMALL; // not large, not loose: its memory stays the heap's
			uintptr_t head = chunked ? h.free[word >> 4] : 0;
			cove_heap_free(&s, ptr[i]);
			// A freed chunk block's link is stored encoded, never as the
			// list's previous head.
			if (chunked && *(uintptr_t *)(ptr[i] - COVE_HEAP_HEADER) == head) {
				bad = step + 1;
			}
			ptr[i] = NULL;
			len[i] = 0;
		} else if (op == 1 && ptr[i] != NULL) {
			unsigned char *q = (unsigned char *)cove_heap_realloc(&s, ptr[i], n);
			if (q == NULL && n <= len[i]) {
				bad = step + 1; // a shrink never fails on the limit
			}
			if (q != NULL) {
				ptr[i] = q;
				size_t keep = len[i] < n ? len[i] : n;
				for (size_t k = keep; k < n; k++) {
					q[k] = (unsigned char)(tag[i] + k);
				}
				len[i] = n;
			}
		} else if (ptr[i] == NULL) {
			unsigned char *q = (unsigned char *)cove_heap_malloc(&s, n);
			if (q != NULL) {
				ptr[i] = q;
				len[i] = n;
				tag[i] = (unsigned char)(x >> 48);
				for (size_t k = 0; k < n; k++) {
					q[k] = (unsigned char)(tag[i] + k);
				}
			}
		}
		size_t live = 0, count = 0, own = 0; // own: malloc's own blocks, large or loose
		for (int k = 0; k < SLOTS; k++) {
			if (ptr[k] != NULL) {
				size_t word = *(size_t *)(ptr[k] - COVE_HEAP_HEADER);
				size_t u = cove_heap_usable_size(ptr[k]);
				if (u < len[k] || ((uintptr_t)ptr[k] & 15) != 0) {
					bad = step + 1;
				}
				live += u + COVE_HEAP_HEADER;
				count++;
				if (u > COVE_HEAP_SMALL || (word & COVE_HEAP_LOOSE)) {
					own += u + COVE_HEAP_HEADER;
				}
			}
		}
		if (bad == 0 && (live != s.malloc_size || count != s.malloc_count || live > limit || h.chunked > limit || h.footprint != h.chunked + own)) {
			bad = -(step + 1);
		}
	}
	for (int k = 0; k < SLOTS; k++) {
		cove_heap_free(&s, ptr[k]);
	}
	if (bad == 0 && (s.malloc_size != 0 || s.malloc_count != 0 || h.footprint != h.chunked)) {
		bad = -(steps + 1);
	}
	cove_heap_release(&h);
	return bad;
}

#endif

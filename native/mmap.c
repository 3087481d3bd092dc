/* bfx's one native part, and an optional one: maps a range of a file into
 * the host's memory, so that the shared-memory transport reads and writes
 * QEMU's guest RAM with plain loads and stores instead of a pread or pwrite
 * of about a microsecond each. Without it the transport works the same
 * through the file (host/backend/remote/mailbox-access.ts). */
#define _GNU_SOURCE /* O_CLOEXEC, MAP_SHARED under -std=c11 */
#include <node_api.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdint.h>

static void unmap(napi_env env, void *data, void *hint) {
    (void)env;
    munmap(data, (size_t)(uintptr_t)hint);
}

static napi_value fail(napi_env env, const char *why) {
    napi_throw_error(env, "BFX_MMAP", why);
    return NULL;
}

/* map(path, offset, length): an ArrayBuffer over the file's bytes, shared
 * with every other mapping of it; unmapped when the buffer is collected */
static napi_value map(napi_env env, napi_callback_info info) {
    size_t argc = 3;
    napi_value argv[3];
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return fail(env, "map takes a path, an offset and a length");
    char path[4096];
    size_t n;
    double offset, length;
    if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &n) != napi_ok || n >= sizeof path - 1) return fail(env, "map: the path is not a string of at most 4094 bytes");
    if (napi_get_value_double(env, argv[1], &offset) != napi_ok || napi_get_value_double(env, argv[2], &length) != napi_ok) return fail(env, "map: the offset and the length are numbers");
    long page = sysconf(_SC_PAGESIZE);
    if (offset < 0 || length <= 0 || (uint64_t)offset % (uint64_t)page != 0) return fail(env, "map: the offset must be page-aligned and the length positive");
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return fail(env, "map: cannot open the file");
    void *p = mmap(NULL, (size_t)length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)offset);
    close(fd); /* the mapping keeps the file */
    if (p == MAP_FAILED) return fail(env, "map: mmap refused");
    napi_value buffer;
    if (napi_create_external_arraybuffer(env, p, (size_t)length, unmap, (void *)(uintptr_t)(size_t)length, &buffer) != napi_ok) {
        munmap(p, (size_t)length);
        return fail(env, "map: the engine refused an external buffer");
    }
    return buffer;
}

static napi_value init(napi_env env, napi_value exports) {
    napi_value fn;
    if (napi_create_function(env, "map", NAPI_AUTO_LENGTH, map, NULL, &fn) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, "map", fn) != napi_ok) return NULL;
    return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

/*
 * One system call the gateway needs and Node does not offer: prctl(PR_SET_MEMORY_MERGE),
 * which opts every mapping of the whole process (all its threads, later mappings too) into
 * kernel samepage merging (Linux >= 6.4). Also reads the setting back.
 *
 *   enable()  -> 0 on success, else the errno (EINVAL: kernel too old; EPERM: not allowed)
 *   disable() -> the same; unmerges the process's merged pages (benchmarks compare both)
 *   status()  -> 1 merging on, 0 off, -errno when the kernel does not know the call
 */
#include <errno.h>
#include <node_api.h>
#include <sys/prctl.h>

#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#define PR_GET_MEMORY_MERGE 68
#endif

static napi_value int_value(napi_env env, int n) {
  napi_value v;
  napi_create_int32(env, n, &v);
  return v;
}

static napi_value enable(napi_env env, napi_callback_info info) {
  (void)info;
  return int_value(env, prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0) == 0 ? 0 : errno);
}

static napi_value disable(napi_env env, napi_callback_info info) {
  (void)info;
  return int_value(env, prctl(PR_SET_MEMORY_MERGE, 0, 0, 0, 0) == 0 ? 0 : errno);
}

static napi_value status(napi_env env, napi_callback_info info) {
  (void)info;
  int r = prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0);
  return int_value(env, r < 0 ? -errno : r);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"enable", NULL, enable, NULL, NULL, NULL, napi_default, NULL},
      {"disable", NULL, disable, NULL, NULL, NULL, napi_default, NULL},
      {"status", NULL, status, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

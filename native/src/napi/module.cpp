// The addon's entry point: registers each exposed class. Each class lives in its own file here.
#include <napi.h>

static Napi::Object InitBootvisor(Napi::Env env, Napi::Object exports) { return exports; }

NODE_API_MODULE(bootvisor, InitBootvisor)

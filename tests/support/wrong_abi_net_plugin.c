/* A network plugin that offers only an older ABI (ncclNetPlugin_v6), so Braid must name it, warn and fall back. */
__attribute__((visibility("default"))) const struct { const char* name; } ncclNetPlugin_v6 = {"wrong-abi"};

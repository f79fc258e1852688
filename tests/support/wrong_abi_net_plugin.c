/* A network plugin that offers only ABI versions Braid does not load (ncclNetPlugin_v5, older than any Braid
 * loads, and ncclNetPlugin_v13, newer), so Braid must name them, warn and fall back. Never called. */
__attribute__((visibility("default"))) const struct { const char* name; } ncclNetPlugin_v5 = {"wrong-abi"};
__attribute__((visibility("default"))) const struct { const char* name; } ncclNetPlugin_v13 = {"wrong-abi"};

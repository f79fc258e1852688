/* NCCL conformance check, written only against the documented NCCL API (plain C, no Braid headers). It builds
 * against NCCL 2.28's header (the CUDA toolkit's, tests/c_api/real_header.sh) and 2.30's (Braid's); what 2.30
 * added is compiled where NCCL_VERSION_CODE has it.
 *
 * usage: conformance NRANKS
 * Forks NRANKS ranks that join with a config setting every field, then run every collective with every data
 * type and reduction op, in place and out of place, with counts 0, 1, odd and larger than any internal buffer;
 * groups of collectives; all-pairs send/recv of uneven sizes in one group; ncclGroupSimulateEnd; a memory window;
 * ncclCommSplit alongside its parent; ncclCommShrink; parameters; argument errors. The parent then builds a clique with
 * ncclCommInitAll, drives it from one thread with a group, and splits all of its communicators in one group. Every
 * element is checked. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nccl.h"

static int failures = 0;
static int myRank = -1;

#define CHECK(call)                                                                                                    \
  do {                                                                                                                 \
    ncclResult_t r_ = (call);                                                                                          \
    if (r_ != ncclSuccess) {                                                                                           \
      fprintf(stderr, "rank %d: %s failed: %s (%s)\n", myRank, #call, ncclGetErrorString(r_), ncclGetLastError(NULL)); \
      exit(2);                                                                                                         \
    }                                                                                                                  \
  } while (0)

static void report(const char* what, size_t index, double got, double want) {
  if (failures++ < 10) fprintf(stderr, "rank %d: %s: element %zu is %g, expected %g\n", myRank, what, index, got, want);
}

/* ---- element access for every NCCL type (values used here are exactly representable) ---- */

static size_t typeSize(ncclDataType_t t) {
  static const size_t sizes[] = {1, 1, 4, 4, 8, 8, 2, 4, 8, 2, 1, 1};
  return sizes[t];
}
static int isFloat(ncclDataType_t t) { return t >= ncclFloat16; }
/* mantissa bits, exponent bias of the small float formats */
static void smallFormat(ncclDataType_t t, int* man, int* bias) {
  switch (t) {
    case ncclFloat16: *man = 10, *bias = 15; break;
    case ncclBfloat16: *man = 7, *bias = 127; break;
    case ncclFloat8e4m3: *man = 3, *bias = 7; break;
    default: *man = 2, *bias = 15; break; /* e5m2 */
  }
}
static uint32_t encodeSmall(double v, int man, int bias, int bits) {
  uint32_t sign = v < 0 ? 1u << (bits - 1) : 0;
  int e;
  double m;
  if (v == 0) return sign;
  m = frexp(fabs(v), &e); /* v = m * 2^e, m in [0.5, 1) */
  return sign | ((uint32_t)(e - 1 + bias) << man) | (uint32_t)((m * 2 - 1) * (1 << man));
}
static double decodeSmall(uint32_t b, int man, int bias, int bits) {
  int field = (int)((b & ((1u << (bits - 1)) - 1)) >> man);
  double mant = (double)(b & ((1u << man) - 1)) / (1 << man);
  double v = field == 0 ? ldexp(mant, 1 - bias) : ldexp(1 + mant, field - bias);
  return (b >> (bits - 1)) ? -v : v;
}
static void store(ncclDataType_t t, void* buf, size_t i, double v) {
  int man, bias;
  switch (t) {
    case ncclInt8: ((int8_t*)buf)[i] = (int8_t)(uint8_t)(int64_t)v; return;
    case ncclUint8: ((uint8_t*)buf)[i] = (uint8_t)(int64_t)v; return;
    case ncclInt32: ((int32_t*)buf)[i] = (int32_t)(int64_t)v; return;
    case ncclUint32: ((uint32_t*)buf)[i] = (uint32_t)(int64_t)v; return;
    case ncclInt64: ((int64_t*)buf)[i] = (int64_t)v; return;
    case ncclUint64: ((uint64_t*)buf)[i] = (uint64_t)(int64_t)v; return;
    case ncclFloat32: ((float*)buf)[i] = (float)v; return;
    case ncclFloat64: ((double*)buf)[i] = v; return;
    default: break;
  }
  smallFormat(t, &man, &bias);
  if (typeSize(t) == 2) ((uint16_t*)buf)[i] = (uint16_t)encodeSmall(v, man, bias, 16);
  else ((uint8_t*)buf)[i] = (uint8_t)encodeSmall(v, man, bias, 8);
}
static double load(ncclDataType_t t, const void* buf, size_t i) {
  int man, bias;
  switch (t) {
    case ncclInt8: return ((const int8_t*)buf)[i];
    case ncclUint8: return ((const uint8_t*)buf)[i];
    case ncclInt32: return ((const int32_t*)buf)[i];
    case ncclUint32: return ((const uint32_t*)buf)[i];
    case ncclInt64: return (double)((const int64_t*)buf)[i];
    case ncclUint64: return (double)((const uint64_t*)buf)[i];
    case ncclFloat32: return ((const float*)buf)[i];
    case ncclFloat64: return ((const double*)buf)[i];
    default: break;
  }
  smallFormat(t, &man, &bias);
  if (typeSize(t) == 2) return decodeSmall(((const uint16_t*)buf)[i], man, bias, 16);
  return decodeSmall(((const uint8_t*)buf)[i], man, bias, 8);
}

/* ---- input patterns: small integers whose sums, products and partial results are exact in every type ---- */

#define PREMUL_SCALAR 2.0
static double inputValue(ncclDataType_t t, int op, int rank, size_t i) {
  int small = t == ncclFloat8e4m3 || t == ncclFloat8e5m2;
  switch (op) {
    case ncclProd: return ((rank + i) % 2 == 0 && i % 3 == 0) ? 2 : 1; /* product <= 2^nranks */
    case ncclMax:
    case ncclMin: return (double)((rank * 7 + i * 3) % 5);
    default: return (double)((rank + i) % (small ? 2 : 5));
  }
}
/* The expected reduction over nranks; *tolerance > 0 where NCCL's definition rounds (floating-point Avg). */
static double expectedValue(ncclDataType_t t, int op, int nranks, size_t i, double* tolerance) {
  double acc = op == ncclProd ? 1 : (op == ncclMax ? -1e300 : (op == ncclMin ? 1e300 : 0));
  int r;
  *tolerance = 0;
  for (r = 0; r < nranks; ++r) {
    double v = inputValue(t, op, r, i);
    if (op == ncclProd) acc *= v;
    else if (op == ncclMax) acc = v > acc ? v : acc;
    else if (op == ncclMin) acc = v < acc ? v : acc;
    else if (op == ncclNumOps) acc += PREMUL_SCALAR * v;
    else acc += v;
  }
  if (op == ncclAvg) {
    if (!isFloat(t)) return (double)((int64_t)acc / nranks);
    {
      double eps = t == ncclFloat8e5m2   ? 0.25
                   : t == ncclFloat8e4m3 ? 0.125
                   : t == ncclBfloat16   ? 1.0 / 128
                   : t == ncclFloat16    ? 1.0 / 1024
                                         : 1e-6;
      *tolerance = (nranks + 1) * eps * (acc / nranks > 1 ? acc / nranks : 1);
    }
    return acc / nranks;
  }
  return acc;
}

static int sameElement(ncclDataType_t t, const void* got, const void* want, size_t i, double tolerance) {
  if (tolerance > 0) return fabs(load(t, got, i) - load(t, want, i)) <= tolerance;
  return memcmp((const char*)got + i * typeSize(t), (const char*)want + i * typeSize(t), typeSize(t)) == 0;
}

static void* xalloc(size_t bytes) {
  void* p = calloc(bytes ? bytes : 1, 1);
  if (!p) exit(3);
  return p;
}

static const char* opNames[] = {"sum", "prod", "max", "min", "avg", "premulsum"};

/* ---- reductions: AllReduce, Reduce, ReduceScatter for every type and op ---- */

static void checkReductions(ncclComm_t comm, int nranks, int rank, ncclDataType_t t, int opIndex, size_t count,
                            int inPlace) {
  size_t es = typeSize(t), i;
  int root = nranks - 1;
  ncclRedOp_t op = (ncclRedOp_t)opIndex;
  char what[128];
  char* send = xalloc(count * nranks * es);
  char* recv = xalloc(count * nranks * es);
  char* want = xalloc(count * es);
  double tol = 0;
  if (opIndex == ncclNumOps) {
    union {
      double d;
      float f;
      int64_t i64;
      uint64_t u64;
      int32_t i32;
      uint32_t u32;
      int8_t i8;
      uint8_t u8;
      uint16_t h;
    } s;
    store(t, &s, 0, PREMUL_SCALAR);
    CHECK(ncclRedOpCreatePreMulSum(&op, &s, t, ncclScalarHostImmediate, comm));
  }
  /* AllReduce */
  for (i = 0; i < count; ++i) store(t, send, i, inputValue(t, opIndex, rank, i));
  for (i = 0; i < count; ++i) store(t, want, i, expectedValue(t, opIndex, nranks, i, &tol));
  if (inPlace) memcpy(recv, send, count * es);
  CHECK(ncclAllReduce(inPlace ? recv : send, recv, count, t, op, comm, NULL));
  snprintf(what, sizeof what, "AllReduce %s type %d count %zu%s", opNames[opIndex], t, count,
           inPlace ? " in-place" : "");
  for (i = 0; i < count; ++i) {
    expectedValue(t, opIndex, nranks, i, &tol);
    if (!sameElement(t, recv, want, i, tol)) report(what, i, load(t, recv, i), load(t, want, i));
  }
  /* Reduce to the last rank */
  memset(recv, 0, count * es);
  if (inPlace) memcpy(recv, send, count * es);
  CHECK(ncclReduce(inPlace ? recv : send, recv, count, t, op, root, comm, NULL));
  snprintf(what, sizeof what, "Reduce %s type %d count %zu%s", opNames[opIndex], t, count, inPlace ? " in-place" : "");
  for (i = 0; rank == root && i < count; ++i) {
    expectedValue(t, opIndex, nranks, i, &tol);
    if (!sameElement(t, recv, want, i, tol)) report(what, i, load(t, recv, i), load(t, want, i));
  }
  /* ReduceScatter: block b of every rank's input holds the pattern at indices b*count.. */
  for (i = 0; i < count * nranks; ++i) store(t, send, i, inputValue(t, opIndex, rank, i));
  for (i = 0; i < count; ++i) store(t, want, i, expectedValue(t, opIndex, nranks, rank * count + i, &tol));
  memset(recv, 0, count * es);
  if (inPlace) {
    CHECK(ncclReduceScatter(send, send + rank * count * es, count, t, op, comm, NULL));
    memcpy(recv, send + rank * count * es, count * es);
  } else {
    CHECK(ncclReduceScatter(send, recv, count, t, op, comm, NULL));
  }
  snprintf(what, sizeof what, "ReduceScatter %s type %d count %zu%s", opNames[opIndex], t, count,
           inPlace ? " in-place" : "");
  for (i = 0; i < count; ++i) {
    expectedValue(t, opIndex, nranks, rank * count + i, &tol);
    if (!sameElement(t, recv, want, i, tol)) report(what, i, load(t, recv, i), load(t, want, i));
  }
  if (opIndex == ncclNumOps) CHECK(ncclRedOpDestroy(op, comm));
  free(send), free(recv), free(want);
}

/* ---- data movement: every byte of every rank's block is a function of (rank, index) ---- */

static unsigned char pattern(int rank, size_t byte) { return (unsigned char)(rank * 31 + byte * 7 + 1); }

static void expectBlock(const char* what, const char* buf, int rank, size_t bytes) {
  size_t b;
  for (b = 0; b < bytes; ++b)
    if ((unsigned char)buf[b] != pattern(rank, b)) {
      report(what, b, (unsigned char)buf[b], pattern(rank, b));
      return;
    }
}

static void fillBlock(char* buf, int rank, size_t bytes) {
  size_t b;
  for (b = 0; b < bytes; ++b) buf[b] = (char)pattern(rank, b);
}

static void checkMovement(ncclComm_t comm, int nranks, int rank, ncclDataType_t t, size_t count, int inPlace) {
  size_t es = typeSize(t), bytes = count * es;
  int root = nranks > 1 ? 1 : 0, p;
  char* send = xalloc(bytes * nranks);
  char* recv = xalloc(bytes * nranks);
  char what[96];
  /* Broadcast from root */
  fillBlock(send, rank == root ? root : 99, bytes);
  if (inPlace) CHECK(ncclBcast(send, count, t, root, comm, NULL));
  else CHECK(ncclBroadcast(send, recv, count, t, root, comm, NULL));
  snprintf(what, sizeof what, "Broadcast type %d count %zu%s", t, count, inPlace ? " in-place" : "");
  expectBlock(what, inPlace ? send : recv, root, bytes);
  /* AllGather */
  memset(recv, 0, bytes * nranks);
  fillBlock(inPlace ? recv + rank * bytes : send, rank, bytes);
  CHECK(ncclAllGather(inPlace ? recv + rank * bytes : send, recv, count, t, comm, NULL));
  snprintf(what, sizeof what, "AllGather type %d count %zu%s", t, count, inPlace ? " in-place" : "");
  for (p = 0; p < nranks; ++p) expectBlock(what, recv + p * bytes, p, bytes);
  /* AlltoAll: block p of rank r's input is pattern(r*nranks+p) */
  for (p = 0; p < nranks; ++p) fillBlock(send + p * bytes, rank * nranks + p, bytes);
  memset(recv, 0, bytes * nranks);
  CHECK(ncclAlltoAll(send, recv, count, t, comm, NULL));
  snprintf(what, sizeof what, "AlltoAll type %d count %zu", t, count);
  for (p = 0; p < nranks; ++p) expectBlock(what, recv + p * bytes, p * nranks + rank, bytes);
  /* Gather to root */
  memset(recv, 0, bytes * nranks);
  fillBlock(inPlace && rank == root ? recv + root * bytes : send, rank, bytes);
  CHECK(ncclGather(inPlace && rank == root ? recv + root * bytes : send, recv, count, t, root, comm, NULL));
  snprintf(what, sizeof what, "Gather type %d count %zu%s", t, count, inPlace ? " in-place" : "");
  for (p = 0; rank == root && p < nranks; ++p) expectBlock(what, recv + p * bytes, p, bytes);
  /* Scatter from root */
  for (p = 0; p < nranks; ++p) fillBlock(send + p * bytes, 50 + p, bytes);
  memset(recv, 0, bytes * nranks);
  CHECK(ncclScatter(send, inPlace && rank == root ? send + root * bytes : recv, count, t, root, comm, NULL));
  snprintf(what, sizeof what, "Scatter type %d count %zu%s", t, count, inPlace ? " in-place" : "");
  expectBlock(what, inPlace && rank == root ? send + root * bytes : recv, 50 + rank, bytes);
  free(send), free(recv);
}

/* ---- groups: several collectives at once, and all-pairs send/recv of uneven sizes ---- */

static void checkGroups(ncclComm_t comm, int nranks, int rank) {
  size_t count = 1000, i;
  int p;
  float *a = xalloc(count * 4), *b = xalloc(count * 4);
  int32_t* g = xalloc(count * nranks * 4);
  char **out = xalloc(sizeof(char*) * nranks), **in = xalloc(sizeof(char*) * nranks);
  for (i = 0; i < count; ++i) a[i] = (float)(rank + 1), b[i] = (float)i;
  CHECK(ncclGroupStart());
  CHECK(ncclAllReduce(a, a, count, ncclFloat32, ncclSum, comm, NULL));
  CHECK(ncclBroadcast(b, b, count, ncclFloat32, 0, comm, NULL));
  CHECK(ncclAllGather(a, g, 1, ncclInt32, comm, NULL)); /* runs after the AllReduce: issue order */
  CHECK(ncclGroupEnd());
  for (i = 0; i < count; ++i) {
    if (a[i] != (float)(nranks * (nranks + 1) / 2)) report("group AllReduce", i, a[i], nranks * (nranks + 1) / 2);
    if (b[i] != (float)i) report("group Broadcast", i, b[i], (double)i);
  }
  /* All pairs, uneven sizes (bytes = 1000*(src+1) + 37*dst), larger than the FIFOs for some pairs; self included. */
  CHECK(ncclGroupStart());
  for (p = 0; p < nranks; ++p) {
    size_t sendBytes = 1000u * (rank + 1) * 300 + 37u * p, recvBytes = 1000u * (p + 1) * 300 + 37u * rank;
    out[p] = xalloc(sendBytes), in[p] = xalloc(recvBytes);
    fillBlock(out[p], rank * 100 + p, sendBytes);
    CHECK(ncclSend(out[p], sendBytes, ncclUint8, p, comm, NULL));
    CHECK(ncclRecv(in[p], recvBytes, ncclInt8, p, comm, NULL));
  }
  CHECK(ncclGroupEnd());
  for (p = 0; p < nranks; ++p) {
    expectBlock("all-pairs send/recv", in[p], p * 100 + rank, 1000u * (p + 1) * 300 + 37u * rank);
    free(out[p]), free(in[p]);
  }
  free(a), free(b), free(g), free(out), free(in);
}

/* ---- split: even and odd ranks, used alongside the parent ---- */

static void checkSplit(ncclComm_t comm, int nranks, int rank) {
  ncclComm_t half = NULL, none = NULL;
  int sub, subSize, expectSize = (nranks + (rank % 2 == 0)) / 2;
  double x = rank, y = 1;
  CHECK(ncclCommSplit(comm, rank % 2, -rank, &half, NULL)); /* key -rank: reverse order */
  CHECK(ncclCommCount(half, &subSize));
  CHECK(ncclCommUserRank(half, &sub));
  if (subSize != expectSize) report("split size", 0, subSize, expectSize);
  if (sub != (expectSize - 1 - rank / 2)) report("split rank (reverse key order)", 0, sub, expectSize - 1 - rank / 2);
  CHECK(ncclAllReduce(&x, &x, 1, ncclFloat64, ncclSum, half, NULL));
  CHECK(ncclAllReduce(&y, &y, 1, ncclFloat64, ncclSum, comm, NULL));
  {
    double want = 0;
    int r;
    for (r = rank % 2; r < nranks; r += 2) want += r;
    if (x != want) report("AllReduce on split", 0, x, want);
    if (y != nranks) report("AllReduce on parent after split", 0, y, nranks);
  }
  CHECK(ncclCommDestroy(half));
  CHECK(ncclCommSplit(comm, rank == 0 ? 0 : NCCL_SPLIT_NOCOLOR, 0, &none, NULL));
  if ((rank == 0) != (none != NULL)) report("NCCL_SPLIT_NOCOLOR", 0, none != NULL, rank == 0);
  if (none) CHECK(ncclCommDestroy(none));
}

#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 27, 0)
/* ncclCommShrink (NCCL_SHRINK_DEFAULT) without the last rank, which does not call it: the others renumber in
 * order and compute without it; the parent still works. */
static void checkShrink(ncclComm_t comm, int nranks, int rank) {
  ncclComm_t smaller = NULL;
  int excluded[1], sub = -1, subSize = 0;
  double x = rank, y = 1;
  excluded[0] = nranks - 1;
  if (nranks < 2) return;
  if (rank != nranks - 1) {
    CHECK(ncclCommShrink(comm, excluded, 1, &smaller, NULL, NCCL_SHRINK_DEFAULT));
    CHECK(ncclCommCount(smaller, &subSize));
    CHECK(ncclCommUserRank(smaller, &sub));
    if (subSize != nranks - 1) report("shrink size", 0, subSize, nranks - 1);
    if (sub != rank) report("shrink rank", 0, sub, rank);
    CHECK(ncclAllReduce(&x, &x, 1, ncclFloat64, ncclSum, smaller, NULL));
    if (x != (double)(nranks - 1) * (nranks - 2) / 2)
      report("AllReduce on shrunk", 0, x, (nranks - 1) * (nranks - 2) / 2);
    CHECK(ncclCommDestroy(smaller));
  }
  CHECK(ncclAllReduce(&y, &y, 1, ncclFloat64, ncclSum, comm, NULL));
  if (y != nranks) report("AllReduce on parent after shrink", 0, y, nranks);
}
#endif

/* ---- an invalid argument: ncclInvalidArgument and a message ---- */

static void expectInvalid(ncclResult_t r, const char* what) {
  const char* msg = ncclGetLastError(NULL);
  if (r != ncclInvalidArgument) report(what, 0, r, ncclInvalidArgument);
  else if (!msg || !*msg) report("ncclGetLastError after invalid argument", 0, 0, 1);
}

/* ---- ncclGroupSimulateEnd: a prediction, growing with the size, and nothing runs ---- */

static float simulatedAllReduce(ncclComm_t comm, float* buf, size_t count) {
  ncclSimInfo_t info = NCCL_SIM_INFO_INITIALIZER;
  CHECK(ncclGroupStart());
  CHECK(ncclAllReduce(buf, buf, count, ncclFloat32, ncclSum, comm, NULL));
  CHECK(ncclGroupSimulateEnd(&info));
  return info.estimatedTime;
}

static void checkSimulate(ncclComm_t comm, int nranks, int rank) {
  const size_t large = 4u << 20;
  float* buf = xalloc(large * 4);
  float small, big, pair;
  size_t i;
  ncclSimInfo_t info = NCCL_SIM_INFO_INITIALIZER;
  for (i = 0; i < large; ++i) buf[i] = 1;
  small = simulatedAllReduce(comm, buf, 256);
  big = simulatedAllReduce(comm, buf, large);
  if (!(small > 0)) report("ncclGroupSimulateEnd time of 1 KiB", 0, small, 1);
  if (nranks > 1 && !(big > small))
    report("ncclGroupSimulateEnd: 16 MiB predicted no slower than 1 KiB", 0, big, small);
  CHECK(ncclGroupStart());
  CHECK(ncclSend(buf, large, ncclFloat32, (rank + 1) % nranks, comm, NULL));
  CHECK(ncclRecv(buf, large, ncclFloat32, (rank + nranks - 1) % nranks, comm, NULL));
  CHECK(ncclGroupSimulateEnd(&info));
  pair = info.estimatedTime;
  if (!(pair > 0)) report("ncclGroupSimulateEnd time of a send/recv pair", 0, pair, 1);
  for (i = 0; i < large; ++i)
    if (buf[i] != 1) {
      report("a simulated group ran", i, buf[i], 1);
      break;
    }
  free(buf);
}

/* ---- a memory window (NCCL 2.27+) that an AllReduce then uses in place ---- */

#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 29, 0)
/* One-sided (NCCL 2.29): a barrier by signals (every rank has checked its window), then an all-to-all by puts:
 * rank r's value for peer p lands at element r of p's window. */
static void checkOneSided(ncclComm_t comm, int nranks, int rank, ncclWindow_t win, const float* window) {
  ncclWaitSignalDesc_t* each = xalloc((size_t)nranks * sizeof(ncclWaitSignalDesc_t));
  float* values = xalloc((size_t)nranks * sizeof(float));
  int r;
  for (r = 0; r < nranks; ++r) {
    each[r].opCnt = 1;
    each[r].peer = r;
    each[r].sigIdx = 0;
    each[r].ctx = 0;
    values[r] = (float)(rank * 100 + r);
  }
  CHECK(ncclGroupStart());
  for (r = 0; r < nranks; ++r) CHECK(ncclSignal(r, 0, 0, 0, comm, NULL));
  CHECK(ncclGroupEnd());
  CHECK(ncclWaitSignal(nranks, each, comm, NULL));
  CHECK(ncclGroupStart());
  for (r = 0; r < nranks; ++r)
    CHECK(ncclPutSignal(&values[r], 1, ncclFloat32, r, win, (size_t)rank * sizeof(float), 0, 0, 0, comm, NULL));
  CHECK(ncclGroupEnd());
  CHECK(ncclWaitSignal(nranks, each, comm, NULL));
  for (r = 0; r < nranks; ++r)
    if (window[r] != (float)(r * 100 + rank)) {
      report("ncclPutSignal all-to-all", (size_t)r, window[r], r * 100 + rank);
      break;
    }
  free(values);
  free(each);
}
#endif

static void checkWindow(ncclComm_t comm, int nranks, int rank) {
  const size_t count = 1u << 16;
  float* buf = xalloc(count * sizeof(float));
  void* user = NULL;
  ncclWindow_t win;
  size_t i;
  for (i = 0; i < count; ++i) buf[i] = (float)(rank + 1);
  CHECK(ncclCommWindowRegister(comm, buf, count * sizeof(float), &win, NCCL_WIN_COLL_SYMMETRIC));
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 29, 0)
  CHECK(ncclWinGetUserPtr(comm, win, &user));
  if (user != buf) report("ncclWinGetUserPtr", 0, 0, 1);
#endif
  (void)user;
  CHECK(ncclAllReduce(buf, buf, count, ncclFloat32, ncclSum, comm, NULL));
  for (i = 0; i < count; ++i)
    if (buf[i] != (float)(nranks * (nranks + 1) / 2)) {
      report("AllReduce in a window", i, buf[i], nranks * (nranks + 1) / 2);
      break;
    }
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 29, 0)
  checkOneSided(comm, nranks, rank, win, buf);
#endif
  CHECK(ncclCommWindowDeregister(comm, win));
  free(buf);
}

#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 30, 0)
/* ---- parameters by handle and by key (NCCL 2.30) ---- */

static void checkParameters(void) {
  ncclParamHandle_t h;
  int8_t i8;
  int32_t i32;
  uint64_t u64;
  int64_t raw;
  int len, keys, k, found = 0;
  const char* text;
  const char** table;
  char small[2];
  CHECK(ncclParamBind(&h, "NCCL_SOCKET_NTHREADS"));
  CHECK(ncclParamGetI8(h, &i8));
  CHECK(ncclParamGetI32(h, &i32));
  CHECK(ncclParamGetU64(h, &u64));
  CHECK(ncclParamGetStr(h, &text));
  CHECK(ncclParamGet(h, &raw, sizeof raw, &len));
  if (i8 != 1 || i32 != 1 || u64 != 1 || raw != 1 || len != 8 || strcmp(text, "1") != 0)
    report("NCCL_SOCKET_NTHREADS by handle", 0, i32, 1);
  CHECK(ncclParamGetParameter("NCCL_SOCKET_NTHREADS", &text, &len));
  if (strcmp(text, "1") != 0 || len != 1) report("NCCL_SOCKET_NTHREADS by key", 0, len, 1);
  CHECK(ncclParamBind(&h, "NCCL_NET"));
  expectInvalid(ncclParamGetI32(h, &i32), "a text parameter read as a number");
  expectInvalid(ncclParamBind(&h, "NCCL_NO_SUCH_PARAMETER"), "an unknown key");
  CHECK(ncclParamBind(&h, "NCCL_DEBUG")); /* "none" unless set: longer than 2 bytes */
  CHECK(ncclParamGetStr(h, &text));
  expectInvalid(ncclParamGet(h, small, sizeof small, &len), "a buffer too small");
  CHECK(ncclParamGetAllParameterKeys(&table, &keys));
  for (k = 0; k < keys; ++k) found |= strstr(table[k], "SOCKET_NTHREADS") != NULL;
  if (!found) report("ncclParamGetAllParameterKeys lists SOCKET_NTHREADS", 0, keys, 1);
  ncclParamDumpAll();
}
#endif

/* ---- bad arguments: ncclInvalidArgument, a message, and a communicator that still works ---- */

static void checkErrors(ncclComm_t comm, int nranks, int rank) {
  float v = 1;
  ncclRedOp_t op;
  float scalar = 2;
  expectInvalid(ncclAllReduce(&v, &v, 1, ncclFloat32, ncclSum, NULL, NULL), "NULL comm");
  expectInvalid(ncclAllReduce(NULL, &v, 1, ncclFloat32, ncclSum, comm, NULL), "NULL sendbuff");
  expectInvalid(ncclAllReduce(&v, &v, 1, (ncclDataType_t)42, ncclSum, comm, NULL), "bad type");
  expectInvalid(ncclAllReduce(&v, &v, 1, ncclFloat32, (ncclRedOp_t)42, comm, NULL), "bad op");
  expectInvalid(ncclBroadcast(&v, &v, 1, ncclFloat32, nranks, comm, NULL), "root out of range");
  expectInvalid(ncclSend(&v, 1, ncclFloat32, -1, comm, NULL), "peer out of range");
  CHECK(ncclRedOpCreatePreMulSum(&op, &scalar, ncclFloat32, ncclScalarHostImmediate, comm));
  expectInvalid(ncclAllReduce(&v, &v, 1, ncclFloat64, op, comm, NULL), "PreMulSum scalar type mismatch");
  CHECK(ncclRedOpDestroy(op, comm));
  v = 1;
  CHECK(ncclAllReduce(&v, &v, 1, ncclFloat32, ncclSum, comm, NULL));
  if (v != nranks) report("AllReduce after errors", 0, v, nranks);
  (void)rank;
}

/* Every field of the header's config set to a value NCCL accepts (those with no effect on the host included). */
static ncclConfig_t fullConfig(int nranks) {
  ncclConfig_t c = NCCL_CONFIG_INITIALIZER;
  c.blocking = 1;
  c.cgaClusterSize = 4;
  c.minCTAs = 1;
  c.maxCTAs = 2;
  c.splitShare = 0;
  c.trafficClass = 0;
  c.commName = "conformance";
  c.collnetEnable = 0;
  c.CTAPolicy = NCCL_CTA_POLICY_DEFAULT;
  c.shrinkShare = 0;
  c.nvlsCTAs = 16;
  c.nChannelsPerNetPeer = 2;
  c.nvlinkCentricSched = 0;
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 29, 0)
  c.graphUsageMode = 0;
  c.numRmaCtx = 0;
#endif
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 30, 0)
  c.maxP2pPeers = nranks;
  c.graphStreamOrdering = 0;
#endif
  (void)nranks;
  return c;
}

static int runRank(ncclUniqueId id, int nranks, int rank) {
  ncclComm_t comm;
  ncclConfig_t config = fullConfig(nranks);
  int t, op, countIndex, inPlace, version;
  const size_t counts[] = {0, 1, 7, 1001};
  myRank = rank;
  CHECK(ncclGetVersion(&version));
  if (version < NCCL_VERSION_CODE) report("ncclGetVersion older than the header", 0, version, NCCL_VERSION_CODE);
  CHECK(ncclCommInitRankConfig(&comm, nranks, id, rank, &config));
  for (t = 0; t < ncclNumTypes; ++t)
    for (countIndex = 0; countIndex < 4; ++countIndex)
      for (inPlace = 0; inPlace < 2; ++inPlace) {
        for (op = 0; op <= ncclNumOps; ++op)
          checkReductions(comm, nranks, rank, (ncclDataType_t)t, op, counts[countIndex], inPlace);
        checkMovement(comm, nranks, rank, (ncclDataType_t)t, counts[countIndex], inPlace);
      }
  /* Larger than any internal buffer: 1.5 M floats (6 MiB) and 3 MiB per AlltoAll block of bytes. */
  checkReductions(comm, nranks, rank, ncclFloat32, ncclSum, 1572865, 0);
  checkReductions(comm, nranks, rank, ncclBfloat16, ncclMax, 1572865, 1);
  checkMovement(comm, nranks, rank, ncclUint8, 3u << 20, 0);
  checkGroups(comm, nranks, rank);
  checkSimulate(comm, nranks, rank);
  checkWindow(comm, nranks, rank);
  checkSplit(comm, nranks, rank);
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 27, 0)
  checkShrink(comm, nranks, rank);
#endif
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 30, 0)
  checkParameters();
#endif
  checkErrors(comm, nranks, rank);
  CHECK(ncclCommFinalize(comm));
  CHECK(ncclCommDestroy(comm));
  return failures == 0 ? 0 : 1;
}

/* ncclCommInitAll and a group launched from one thread; then one thread splits every communicator of the
 * clique in one group (the splits happen at ncclGroupEnd, each waiting for the others) into halves. */
static void checkSplitsInOneGroup(ncclComm_t* comms, int ndev) {
  ncclComm_t halves[8];
  int values[8], d;
  CHECK(ncclGroupStart());
  for (d = 0; d < ndev; ++d) CHECK(ncclCommSplit(comms[d], d % 2, d, &halves[d], NULL));
  CHECK(ncclGroupEnd());
  CHECK(ncclGroupStart());
  for (d = 0; d < ndev; ++d) {
    values[d] = d;
    CHECK(ncclAllReduce(&values[d], &values[d], 1, ncclInt32, ncclSum, halves[d], NULL));
  }
  CHECK(ncclGroupEnd());
  for (d = 0; d < ndev; ++d) {
    int want = 0, r;
    for (r = d % 2; r < ndev; r += 2) want += r;
    if (values[d] != want) report("AllReduce on communicators split in one group", (size_t)d, values[d], want);
    CHECK(ncclCommDestroy(halves[d]));
  }
}

static int runSingleProcessClique(int ndev) {
  ncclComm_t comms[8];
  float* bufs[8];
  size_t count = 4099, i;
  int d;
  myRank = -1;
  CHECK(ncclCommInitAll(comms, ndev, NULL));
  for (d = 0; d < ndev; ++d) {
    bufs[d] = xalloc(count * 4);
    for (i = 0; i < count; ++i) bufs[d][i] = (float)(d + i % 3);
  }
  CHECK(ncclGroupStart());
  for (d = 0; d < ndev; ++d) CHECK(ncclAllReduce(bufs[d], bufs[d], count, ncclFloat32, ncclSum, comms[d], NULL));
  CHECK(ncclGroupEnd());
  for (d = 0; d < ndev; ++d) {
    for (i = 0; i < count; ++i) {
      float want = (float)(ndev * (ndev - 1) / 2 + ndev * (int)(i % 3));
      if (bufs[d][i] != want) report("CommInitAll group AllReduce", i, bufs[d][i], want);
    }
    free(bufs[d]);
  }
  checkSplitsInOneGroup(comms, ndev);
  for (d = 0; d < ndev; ++d) CHECK(ncclCommDestroy(comms[d]));
  return failures == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  int nranks = argc > 1 ? atoi(argv[1]) : 2, r, status, failed = 0;
  ncclUniqueId id;
  if (nranks < 1 || nranks > 8) {
    fprintf(stderr, "usage: %s NRANKS (1..8)\n", argv[0]);
    return 2;
  }
  CHECK(ncclGetUniqueId(&id));
  for (r = 0; r < nranks; ++r) {
    pid_t pid = fork();
    if (pid == 0) _exit(runRank(id, nranks, r));
    if (pid < 0) return 3;
  }
  for (r = 0; r < nranks; ++r) {
    if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) failed = 1;
  }
  failed |= runSingleProcessClique(nranks);
  printf("conformance with %d ranks: %s\n", nranks, failed ? "FAILED" : "passed");
  return failed;
}

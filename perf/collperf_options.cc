#include "collperf_options.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstring>
#include <stdexcept>

#include "base/byte_size.h"
#include "device/datatype.h"

namespace braid::collperf {

namespace {

const std::vector<std::string> kCollectives = {"allreduce", "allgather", "reducescatter", "broadcast", "reduce",
                                               "alltoall",  "gather",    "scatter",       "sendrecv"};

std::vector<ncclDataType_t> parseTypes(const std::string& text) {
  std::vector<ncclDataType_t> all;
  for (int t = 0; t < ncclNumTypes; ++t) all.push_back(static_cast<ncclDataType_t>(t));
  if (text == "all") return all;
  static const std::pair<const char*, ncclDataType_t> aliases[] = {
      {"char", ncclInt8},     {"int", ncclInt32},          {"float16", ncclFloat16},
      {"fp16", ncclFloat16},  {"float32", ncclFloat32},    {"float64", ncclFloat64},
      {"bf16", ncclBfloat16}, {"fp8e4m3", ncclFloat8e4m3}, {"fp8e5m2", ncclFloat8e5m2}};
  for (ncclDataType_t t : all)
    if (text == dataTypeName(t)) return {t};
  for (auto& [name, type] : aliases)
    if (text == name) return {type};
  throw CLI::ValidationError("-d", "unknown data type '" + text + "'");
}

std::vector<reference::TestOp> parseOps(const std::string& text) {
  std::vector<reference::TestOp> result;
  if (text == "all") {
    for (int i = 0; i < reference::kTestOpCount; ++i) result.push_back(static_cast<reference::TestOp>(i));
    return result;
  }
  reference::TestOp op;
  if (!reference::parseTestOp(text, op)) throw CLI::ValidationError("-o", "unknown reduction op '" + text + "'");
  return {op};
}

}  // namespace

Options parseOptions(int argc, char** argv) {
  // nccl-tests spells its launch option "-np"; CLI11 reads single-dash names as one letter, so map it.
  std::vector<std::string> args(argv, argv + argc);
  for (std::string& a : args)
    if (a == "-np") a = "--np";
  std::vector<const char*> rewritten;
  for (const std::string& a : args) rewritten.push_back(a.c_str());

  Options o;
  std::string minBytes = "32M", maxBytes = "32M", stepBytes = "1M", types = "float", ops = "sum";
  CLI::App app{"collperf: collective bandwidth sweep (nccl-tests compatible)", "collperf"};
  app.add_option("collective", o.collective,
                 "allreduce|allgather|reducescatter|broadcast|reduce|alltoall|gather|scatter|sendrecv")
      ->required()
      ->check(CLI::IsMember(kCollectives));
  app.add_option("-b,--minbytes", minBytes, "smallest size (8, 64K, 1M, 1G)");
  app.add_option("-e,--maxbytes", maxBytes, "largest size");
  app.add_option("-i,--stepbytes", stepBytes, "size increment when the factor is 1");
  app.add_option("-f,--stepfactor", o.stepFactor, "size multiplication factor")->check(CLI::PositiveNumber);
  app.add_option("-n,--iters", o.iters, "timed iterations")->check(CLI::NonNegativeNumber);
  app.add_option("-w,--warmup_iters", o.warmupIters, "warmup iterations")->check(CLI::NonNegativeNumber);
  app.add_option("-m,--agg_iters", o.aggIters, "operations aggregated in one group")->check(CLI::PositiveNumber);
  app.add_option("-c,--check", o.check, "check results (0/1)")->check(CLI::Range(0, 1));
  app.add_option("-o,--op", ops, "sum|prod|max|min|avg|mulsum|all");
  app.add_option("-d,--datatype", types,
                 "int8|uint8|int32|uint32|int64|uint64|half|float|double|bfloat16|f8e4m3|f8e5m2|all");
  app.add_option("-r,--root", o.root, "root rank")->check(CLI::NonNegativeNumber);
  app.add_option("-z,--blocking", o.blocking, "with --host-stream: synchronize after each call (0/1)")
      ->check(CLI::Range(0, 1));
  app.add_option("-a,--average", o.average, "report time of 0 rank 0, 1 mean, 2 min, 3 max")->check(CLI::Range(0, 3));
  app.add_option("-T,--timeout", o.timeoutSeconds, "seconds without progress before an operation fails")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--np", o.localRanks, "fork this many local ranks")->check(CLI::Range(1, 1024));
  app.add_flag("--host-stream", o.hostStream, "issue through a Braid host stream instead of the NULL stream");
  app.add_option("-R,--local_register", o.localRegister,
                 "1: buffers from ncclMemAlloc, registered with ncclCommRegister (zero copy between local ranks)")
      ->check(CLI::Range(0, 1));
  app.add_flag("--host", o.host, "host buffers even where a GPU is visible (device buffers are the default then)");
  auto* json = app.add_option("--json", o.jsonFile, "write the results as JSON to this file");
  app.add_flag("--probe", o.probe,
               "also record each rank's placement and probe its speed and its host's network link (for braid "
               "doctor; every rank must be given it)")
      ->needs(json);
  try {
    app.parse(static_cast<int>(rewritten.size()), rewritten.data());
    o.minBytes = parseByteSize(minBytes);
    o.maxBytes = parseByteSize(maxBytes);
    o.stepBytes = parseByteSize(stepBytes);
    o.types = parseTypes(types);
    o.ops = parseOps(ops);
    if (o.minBytes > o.maxBytes) throw CLI::ValidationError("-b", "minbytes is larger than maxbytes");
    if (o.stepFactor == 1 && o.stepBytes == 0) throw CLI::ValidationError("-i", "stepbytes must be > 0");
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  } catch (const std::invalid_argument& e) {
    std::exit(app.exit(CLI::ValidationError("size", e.what())));
  }
  return o;
}

}  // namespace braid::collperf

// simmer_mpi: the few Open MPI collectives data-parallel training needs, behind N-API (src/distributed/mpi.ts).
//
// One communication thread owns MPI: it calls MPI_Init_thread (MPI_THREAD_FUNNELED, so every later MPI call is
// made by that same thread), runs the collectives the JS thread queues, in order, as non-blocking MPI operations
// (MPI_Iallreduce, MPI_Ibcast, MPI_Iallgather, MPI_Ibarrier) driven by MPI_Test, and finalizes. JS either waits for
// an operation (allreduce, broadcast, barrier, allgather) or starts one and collects it later (allreduceStart →
// test / wait), so gradients of one bucket travel while backward computes the next.
//
// Open MPI moves data only while some thread is inside an MPI call on each side, so how the thread waits decides the
// speed. It polls MPI_Test with sched_yield() in between for the first 2 ms of an operation (the kernel hands the
// core to the rank's compute thread whenever that one wants it, and the poll runs at full rate when the core is
// otherwise idle, e.g. while JS waits at the end of backward), then backs off to sleeps of up to 250 µs, so that a
// long wait for a late peer does not burn a core. Sleeping from the start made every shared-memory fragment cost a sleep on
// each side: a 1.6 MB all-reduce took ~36 ms instead of ~1.5 ms (bench/ddp notes in docs/bench.md).
//
// Shared memory between local ranks uses Linux cross-memory attach (one copy per message) when the kernel allows it;
// init() probes process_vm_readv first and, where a seccomp filter or Yama forbids it (many containers), switches
// Open MPI's vader BTL to its copy-in/copy-out path instead of letting the first large message abort the job.
//
// MPI has no timeouts: a rank that dies or freezes leaves the others blocked forever. So the thread also sends a
// heartbeat (its operation count) to every other rank every `heartbeat` seconds on a private communicator, and a
// rank not heard from for `timeout` seconds is declared lost: every pending and later call fails with a message
// naming it (rank, pid, host), and JS exits non-zero. An operation that waits longer than `opTimeout` while every
// rank still beats fails the same way, naming the ranks that have not reached it.
#include <dlfcn.h>
#include <mpi.h>
#include <napi.h>
#include <sched.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
double now() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }
double threadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

enum class Kind { Allreduce, Broadcast, Barrier, Allgather };
const char* kindName(Kind k) {
  switch (k) {
    case Kind::Allreduce: return "allreduce";
    case Kind::Broadcast: return "broadcast";
    case Kind::Barrier: return "barrier";
    case Kind::Allgather: return "allgather";
  }
  return "?";
}

struct Job {
  int64_t id = 0;
  int64_t seq = 0;  // position in the collective order (the same on every rank)
  Kind kind = Kind::Barrier;
  void* buf = nullptr;  // allreduce/broadcast: in place; allgather: this rank's bytes
  void* out = nullptr;  // allgather: size × bytes
  int64_t count = 0;    // allreduce: floats; broadcast/allgather: bytes
  int root = 0;
  float divisor = 1;    // allreduce: the sum is divided by it in place (the mean over ranks), on this thread
  bool done = false;
  std::string error;
  double queued = 0, started = 0, finished = 0;
};

const int kHeartbeatTag = 7301;
double kSpinSeconds = 0.002;
double kMaxSleepUs = 250;
const double kBeatPollSeconds = 0.005;
const size_t kOpLogMax = 100000;

struct State {
  std::mutex mu;
  std::condition_variable wake;  // the thread: work queued or stop asked
  std::condition_variable done;  // JS: a job finished, init done or failure
  std::deque<Job*> queue;
  std::unordered_map<int64_t, Job*> jobs;
  std::thread thread;
  bool started = false, ready = false, stopping = false, finalized = false;
  std::string failure;  // set once: every later call throws it
  int rank = 0, size = 1, threadLevel = 0;
  std::string initError;
  int64_t nextId = 1, nextSeq = 0;
  std::atomic<int64_t> completedSeq{0};
  double heartbeat = 1.0, timeout = 30.0, opTimeout = 600.0;
  // Heartbeat bookkeeping (thread only).
  MPI_Comm work = MPI_COMM_NULL, hb = MPI_COMM_NULL;
  std::vector<double> lastHeard;
  std::vector<int64_t> peerSeq;
  std::vector<int64_t> hbOut;
  std::vector<MPI_Request> hbReq;
  double lastBeat = 0;
  std::vector<std::string> hosts;
  std::vector<int64_t> pids;
  // Statistics (under mu).
  double busySeconds = 0, cpuSeconds = 0;
  // (seq, MPI start, finish) of the latest operations, for timelines across ranks (the bench's transfer share).
  std::vector<double> opLog;
  int64_t operations = 0;
  double bytesReduced = 0;
};

State* S = new State();  // never freed: the thread may outlive module teardown at process exit

std::string describe(int r) {
  std::string s = "rank " + std::to_string(r);
  if (r >= 0 && r < static_cast<int>(S->pids.size()))
    s += " (pid " + std::to_string(S->pids[r]) + " on " + S->hosts[r] + ")";
  return s;
}

std::string mpiError(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  return std::string(text, len);
}

// Fails everything (under mu): pending jobs get the message, JS is woken, the thread stops calling MPI.
void failLocked(const std::string& message) {
  if (!S->failure.empty()) return;
  S->failure = message;
  for (auto& [id, job] : S->jobs)
    if (!job->done) {
      job->done = true;
      job->error = message;
    }
  S->queue.clear();
  S->done.notify_all();
}

// Heartbeats out (when due) and in; returns a lost-rank message or "".
std::string beat() {
  double t = now();
  if (t - S->lastBeat >= S->heartbeat) {
    S->lastBeat = t;
    for (int p = 0; p < S->size; p++) {
      if (p == S->rank) continue;
      if (S->hbReq[p] != MPI_REQUEST_NULL) {
        int flag = 0;
        MPI_Test(&S->hbReq[p], &flag, MPI_STATUS_IGNORE);
        if (!flag) continue;  // the last one has not left yet (a frozen peer): do not pile up more
      }
      S->hbOut[p] = S->completedSeq.load();
      MPI_Isend(&S->hbOut[p], 1, MPI_INT64_T, p, kHeartbeatTag, S->hb, &S->hbReq[p]);
    }
  }
  for (;;) {
    int flag = 0;
    MPI_Status st;
    if (MPI_Iprobe(MPI_ANY_SOURCE, kHeartbeatTag, S->hb, &flag, &st) != MPI_SUCCESS || !flag) break;
    int64_t v = 0;
    MPI_Recv(&v, 1, MPI_INT64_T, st.MPI_SOURCE, kHeartbeatTag, S->hb, MPI_STATUS_IGNORE);
    S->lastHeard[st.MPI_SOURCE] = now();
    S->peerSeq[st.MPI_SOURCE] = v;
  }
  t = now();
  for (int p = 0; p < S->size; p++) {
    if (p == S->rank) continue;
    double silent = t - S->lastHeard[p];
    if (silent > S->timeout) {
      char secs[32];
      snprintf(secs, sizeof secs, "%.1f", silent);
      return "distributed training lost " + describe(p) + ": no heartbeat for " + secs +
             " s (it died, hangs or its machine is unreachable); " + describe(S->rank) +
             " stops. Resume the run from its last checkpoint (simmer train --resume <run> --distributed).";
    }
  }
  return "";
}

int startOp(Job* j, MPI_Request* req) {
  switch (j->kind) {
    case Kind::Allreduce:
      return MPI_Iallreduce(MPI_IN_PLACE, j->buf, static_cast<int>(j->count), MPI_FLOAT, MPI_SUM, S->work, req);
    case Kind::Broadcast:
      return MPI_Ibcast(j->buf, static_cast<int>(j->count), MPI_BYTE, j->root, S->work, req);
    case Kind::Barrier:
      return MPI_Ibarrier(S->work, req);
    case Kind::Allgather:
      return MPI_Iallgather(j->buf, static_cast<int>(j->count), MPI_BYTE, j->out, static_cast<int>(j->count), MPI_BYTE,
                            S->work, req);
  }
  return MPI_ERR_OTHER;
}

// Runs one job to completion (or failure). Returns the failure message, or "".
std::string run(Job* j) {
  MPI_Request req = MPI_REQUEST_NULL;
  int rc = startOp(j, &req);
  if (rc != MPI_SUCCESS) return std::string("MPI ") + kindName(j->kind) + " failed: " + mpiError(rc);
  double sleepUs = 0;
  double started = now(), lastBeatPoll = 0;
  for (;;) {
    int flag = 0;
    rc = MPI_Test(&req, &flag, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) return std::string("MPI ") + kindName(j->kind) + " failed: " + mpiError(rc);
    if (flag) {
      if (j->kind == Kind::Allreduce && j->divisor != 1) {
        float* f = static_cast<float*>(j->buf);
        for (int64_t i = 0; i < j->count; i++) f[i] /= j->divisor;
      }
      return "";
    }
    double t = now(), waited = t - started;
    // Heartbeats in and out at most every kBeatPollSeconds while polling: each costs an MPI_Iprobe (a progress pass).
    if (t - lastBeatPoll >= kBeatPollSeconds) {
      lastBeatPoll = t;
      std::string lost = beat();
      if (!lost.empty()) return lost;
    }
    if (waited > S->opTimeout) {
      std::string behind;
      for (int p = 0; p < S->size; p++)
        if (p != S->rank && S->peerSeq[p] < j->seq) behind += (behind.empty() ? "" : ", ") + describe(p);
      char secs[32];
      snprintf(secs, sizeof secs, "%.0f", waited);
      return std::string("distributed training: ") + kindName(j->kind) + " #" + std::to_string(j->seq) +
             " has waited " + secs + " s; " + (behind.empty() ? "some rank" : behind) +
             " has not reached it (it hangs, or ranks run different code paths)";
    }
    // Yield-poll for the first kSpinSeconds (a bucket finishes there on shared memory once every rank is in), then
    // back off to sleeps of up to kMaxSleepUs: a peer that far behind is busy or descheduled, and each poll costs
    // CPU its core may need (a late rank's fragments then wait at most that long for this side).
    if (waited < kSpinSeconds) {
      sched_yield();
    } else {
      sleepUs = sleepUs == 0 ? 20 : std::min(kMaxSleepUs, sleepUs * 1.5);
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(sleepUs)));
    }
  }
}

void threadMain() {
  // Open MPI's components are shared objects that expect libmpi's symbols to be global; a Node addon is loaded with
  // RTLD_LOCAL, so make libmpi global first (mpi4py does the same).
  if (!dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD)) dlopen("libmpi.so", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
  int provided = 0;
  int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  {
    std::lock_guard<std::mutex> lock(S->mu);
    if (rc != MPI_SUCCESS) {
      S->initError = "MPI_Init_thread failed (code " + std::to_string(rc) + ")";
      S->ready = true;
      S->done.notify_all();
      return;
    }
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_dup(MPI_COMM_WORLD, &S->work);
  MPI_Comm_dup(MPI_COMM_WORLD, &S->hb);
  MPI_Comm_set_errhandler(S->work, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler(S->hb, MPI_ERRORS_RETURN);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  // Who is who, for messages naming a lost rank.
  char host[64] = {0};
  gethostname(host, sizeof host - 1);
  std::vector<char> hosts(static_cast<size_t>(size) * 64);
  std::vector<int64_t> pids(size);
  int64_t pid = getpid();
  MPI_Allgather(host, 64, MPI_CHAR, hosts.data(), 64, MPI_CHAR, S->work);
  MPI_Allgather(&pid, 1, MPI_INT64_T, pids.data(), 1, MPI_INT64_T, S->work);
  {
    std::lock_guard<std::mutex> lock(S->mu);
    S->rank = rank;
    S->size = size;
    S->threadLevel = provided;
    S->pids = pids;
    for (int p = 0; p < size; p++) S->hosts.emplace_back(hosts.data() + static_cast<size_t>(p) * 64);
    S->lastHeard.assign(size, now());
    S->peerSeq.assign(size, 0);
    S->hbOut.assign(size, 0);
    S->hbReq.assign(size, MPI_REQUEST_NULL);
    S->ready = true;
  }
  S->done.notify_all();
  for (;;) {
    Job* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(S->mu);
      if (S->queue.empty() && !S->stopping)
        S->wake.wait_for(lock, std::chrono::duration<double>(std::min(S->heartbeat, 0.25)));
      if (!S->failure.empty()) return;  // stop touching MPI: a peer is gone
      if (!S->queue.empty()) {
        job = S->queue.front();
      } else if (S->stopping) {
        break;
      }
    }
    if (!job) {
      std::string lost = beat();
      if (!lost.empty()) {
        std::lock_guard<std::mutex> lock(S->mu);
        failLocked(lost);
        return;
      }
      continue;
    }
    double t0 = now(), c0 = threadCpu();
    std::string err = run(job);
    double t1 = now(), c1 = threadCpu();
    std::lock_guard<std::mutex> lock(S->mu);
    if (!err.empty()) {
      failLocked(err);
      return;
    }
    S->queue.pop_front();
    job->done = true;
    job->started = t0;
    job->finished = t1;
    S->busySeconds += t1 - t0;
    S->cpuSeconds += c1 - c0;
    if (S->opLog.size() < kOpLogMax * 3) S->opLog.insert(S->opLog.end(), {static_cast<double>(job->seq), t0, t1});
    S->operations++;
    if (job->kind == Kind::Allreduce) S->bytesReduced += 4.0 * job->count;
    S->completedSeq = job->seq + 1;
    S->done.notify_all();
  }
  // Finalize: quiet heartbeats, then MPI_Finalize on this thread (the one that initialised MPI).
  for (int p = 0; p < S->size; p++)
    if (S->hbReq[p] != MPI_REQUEST_NULL) MPI_Request_free(&S->hbReq[p]);
  MPI_Finalize();
  std::lock_guard<std::mutex> lock(S->mu);
  S->finalized = true;
  S->done.notify_all();
}

// True when this process may read another local rank's memory with process_vm_readv, as the vader BTL's
// cross-memory attach does: a seccomp filter (Docker's default) refuses the call even on oneself, and Yama's
// ptrace_scope 2 or 3 refuses it between siblings (scope 1 Open MPI handles itself with PR_SET_PTRACER).
bool crossMemoryAttachWorks() {
  int scope = 0;
  std::ifstream yama("/proc/sys/kernel/yama/ptrace_scope");
  if (yama >> scope && scope >= 2 && geteuid() != 0) return false;
  if (scope >= 3) return false;
  int probe = 42, copy = 0;
  iovec local{&copy, sizeof copy}, remote{&probe, sizeof probe};
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(sizeof copy) && copy == 42;
}

// Where cross-memory attach is refused, vader's copy-in/copy-out path instead (unless the user chose already).
// Called before the communication thread starts, so MPI_Init_thread reads it.
void chooseSingleCopy() {
  if (getenv("OMPI_MCA_btl_vader_single_copy_mechanism") != nullptr) return;
  if (!crossMemoryAttachWorks()) setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
}

// ---- JS side -------------------------------------------------------------------------------------------------

std::unordered_map<int64_t, Napi::Reference<Napi::Value>> keepAlive;  // buffers of jobs in flight (JS thread only)

bool throwIf(Napi::Env env, bool cond, const std::string& message) {
  if (cond) Napi::Error::New(env, message).ThrowAsJavaScriptException();
  return cond;
}

bool checkReady(Napi::Env env) {
  std::string problem;
  {
    std::lock_guard<std::mutex> lock(S->mu);
    if (!S->started) problem = "simmer_mpi: call init() first";
    else if (!S->failure.empty()) problem = S->failure;
    else if (S->stopping) problem = "simmer_mpi: MPI was finalized";
  }
  return !throwIf(env, !problem.empty(), problem);
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() > 0 && info[0].IsObject()) {
    Napi::Object o = info[0].As<Napi::Object>();
    if (o.Has("heartbeat")) S->heartbeat = o.Get("heartbeat").As<Napi::Number>().DoubleValue();
    if (o.Has("timeout")) S->timeout = o.Get("timeout").As<Napi::Number>().DoubleValue();
    if (o.Has("opTimeout")) S->opTimeout = o.Get("opTimeout").As<Napi::Number>().DoubleValue();
  }
  // Experiment knobs for the poll (docs/bench.md, DDP): how long to yield-poll, and the longest sleep after that.
  if (getenv("SIMMER_MPI_SPIN_MS")) kSpinSeconds = atof(getenv("SIMMER_MPI_SPIN_MS")) / 1000;
  if (getenv("SIMMER_MPI_SLEEP_MAX_US")) kMaxSleepUs = atof(getenv("SIMMER_MPI_SLEEP_MAX_US"));
  std::unique_lock<std::mutex> lock(S->mu);
  if (!S->started) {
    chooseSingleCopy();
    S->started = true;
    S->thread = std::thread(threadMain);
    S->thread.detach();
  }
  S->done.wait(lock, [] { return S->ready; });
  if (throwIf(env, !S->initError.empty(), S->initError)) return env.Null();
  Napi::Object r = Napi::Object::New(env);
  r.Set("rank", S->rank);
  r.Set("size", S->size);
  r.Set("threadLevel", S->threadLevel);
  Napi::Array hosts = Napi::Array::New(env, S->hosts.size());
  for (size_t i = 0; i < S->hosts.size(); i++) hosts.Set(i, S->hosts[i]);
  r.Set("hosts", hosts);
  return r;
}

// The job is complete when queued: the communication thread may run it the moment the lock is released.
Job* enqueue(Kind kind, void* buf, void* out, int64_t count, int root, float divisor = 1) {
  Job* j = new Job();
  j->divisor = divisor;
  std::lock_guard<std::mutex> lock(S->mu);
  j->id = S->nextId++;
  j->seq = S->nextSeq++;
  j->kind = kind;
  j->buf = buf;
  j->out = out;
  j->count = count;
  j->root = root;
  j->queued = now();
  S->jobs[j->id] = j;
  S->queue.push_back(j);
  S->wake.notify_one();
  return j;
}

// Waits for a job (JS thread blocks; the communication thread keeps the watchdog running), then forgets it.
bool finish(Napi::Env env, int64_t id) {
  Job* j = nullptr;
  std::string error;
  {
    std::unique_lock<std::mutex> lock(S->mu);
    auto it = S->jobs.find(id);
    if (throwIf(env, it == S->jobs.end(), "simmer_mpi: unknown or already collected operation " + std::to_string(id)))
      return false;
    j = it->second;
    S->done.wait(lock, [j] { return j->done; });
    S->jobs.erase(it);
    error = j->error;
  }
  keepAlive.erase(id);
  delete j;
  return !throwIf(env, !error.empty(), error);
}

bool inRange(Napi::Env env, int64_t n) {
  return !throwIf(env, n > INT32_MAX, "simmer_mpi: buffers are limited to 2^31 - 1 elements; split it into buckets");
}

Napi::Value AllreduceStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkReady(env)) return env.Null();
  if (throwIf(env, !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array,
              "allreduce: expected a Float32Array"))
    return env.Null();
  Napi::Float32Array a = info[0].As<Napi::Float32Array>();
  if (!inRange(env, a.ElementLength())) return env.Null();
  float divisor = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().FloatValue() : 1.0f;
  Job* j = enqueue(Kind::Allreduce, a.Data(), nullptr, a.ElementLength(), 0, divisor);
  keepAlive.emplace(j->id, Napi::Persistent(info[0]));
  return Napi::Number::New(env, static_cast<double>(j->id));
}

Napi::Value Wait(const Napi::CallbackInfo& info) {
  finish(info.Env(), info[0].As<Napi::Number>().Int64Value());
  return info.Env().Undefined();
}

Napi::Value Test(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t id = info[0].As<Napi::Number>().Int64Value();
  {
    std::lock_guard<std::mutex> lock(S->mu);
    auto it = S->jobs.find(id);
    if (throwIf(env, it == S->jobs.end(), "simmer_mpi: unknown or already collected operation " + std::to_string(id)))
      return env.Null();
    if (!it->second->done) return Napi::Boolean::New(env, false);
  }
  if (!finish(env, id)) return env.Null();
  return Napi::Boolean::New(env, true);
}

Napi::Value Allreduce(const Napi::CallbackInfo& info) {
  Napi::Value id = AllreduceStart(info);
  if (info.Env().IsExceptionPending()) return info.Env().Undefined();
  finish(info.Env(), id.As<Napi::Number>().Int64Value());
  return info.Env().Undefined();
}

void* typedBytes(const Napi::Value& v, int64_t* n) {
  Napi::TypedArray t = v.As<Napi::TypedArray>();
  *n = static_cast<int64_t>(t.ByteLength());
  return static_cast<uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset();
}

Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkReady(env)) return env.Undefined();
  if (throwIf(env, !info[0].IsTypedArray(), "broadcast: expected a typed array")) return env.Undefined();
  int root = info.Length() > 1 ? info[1].As<Napi::Number>().Int32Value() : 0;
  if (throwIf(env, root < 0 || root >= S->size, "broadcast: root " + std::to_string(root) + " is not a rank")) return env.Undefined();
  int64_t n = 0;
  void* p = typedBytes(info[0], &n);
  if (!inRange(env, n)) return env.Undefined();
  Job* j = enqueue(Kind::Broadcast, p, nullptr, n, root);
  keepAlive.emplace(j->id, Napi::Persistent(info[0]));
  finish(env, j->id);
  return env.Undefined();
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkReady(env)) return env.Undefined();
  Job* j = enqueue(Kind::Barrier, nullptr, nullptr, 0, 0);
  finish(env, j->id);
  return env.Undefined();
}

// allgather(Uint8Array of the same length on every rank) → Uint8Array of size × length, rank-major.
Napi::Value Allgather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkReady(env)) return env.Null();
  if (throwIf(env, !info[0].IsTypedArray(), "allgather: expected a typed array")) return env.Null();
  int64_t n = 0;
  void* p = typedBytes(info[0], &n);
  if (!inRange(env, n * S->size)) return env.Null();
  Napi::Uint8Array out = Napi::Uint8Array::New(env, static_cast<size_t>(n * S->size));
  Job* j = enqueue(Kind::Allgather, p, out.Data(), n, 0);
  keepAlive.emplace(j->id, Napi::Persistent(info[0]));
  if (!finish(env, j->id)) return env.Null();
  return out;
}

// A barrier first, with heartbeats running, so a rank that finishes early is not taken for lost by one still busy;
// then MPI_Finalize on the communication thread.
Napi::Value Finalize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  {
    std::lock_guard<std::mutex> lock(S->mu);
    if (!S->started || S->stopping || !S->failure.empty()) return env.Undefined();  // lost peer: finalize would hang
  }
  Job* j = enqueue(Kind::Barrier, nullptr, nullptr, 0, 0);
  if (!finish(env, j->id)) return env.Undefined();
  std::unique_lock<std::mutex> lock(S->mu);
  S->stopping = true;
  S->wake.notify_one();
  S->done.wait(lock, [] { return S->finalized || !S->failure.empty(); });
  return env.Undefined();
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::lock_guard<std::mutex> lock(S->mu);
  Napi::Object r = Napi::Object::New(env);
  r.Set("operations", static_cast<double>(S->operations));
  r.Set("busySeconds", S->busySeconds);
  r.Set("cpuSeconds", S->cpuSeconds);
  r.Set("bytesReduced", S->bytesReduced);
  return r;
}

// The operations run since the last call, as a Float64Array of (seq, start, finish) triples, seconds on the
// machine's monotonic clock (comparable between ranks of one machine only); clears the log.
Napi::Value TakeOpLog(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(S->mu);
  Napi::Float64Array r = Napi::Float64Array::New(info.Env(), S->opLog.size());
  std::copy(S->opLog.begin(), S->opLog.end(), r.Data());
  S->opLog.clear();
  return r;
}

Napi::Value Failure(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(S->mu);
  if (S->failure.empty()) return info.Env().Null();
  return Napi::String::New(info.Env(), S->failure);
}

Napi::Object Module(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("allreduce", Napi::Function::New(env, Allreduce));
  exports.Set("allreduceStart", Napi::Function::New(env, AllreduceStart));
  exports.Set("wait", Napi::Function::New(env, Wait));
  exports.Set("test", Napi::Function::New(env, Test));
  exports.Set("broadcast", Napi::Function::New(env, Broadcast));
  exports.Set("barrier", Napi::Function::New(env, Barrier));
  exports.Set("allgather", Napi::Function::New(env, Allgather));
  exports.Set("finalize", Napi::Function::New(env, Finalize));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("failure", Napi::Function::New(env, Failure));
  exports.Set("takeOpLog", Napi::Function::New(env, TakeOpLog));
  return exports;
}

}  // namespace

NODE_API_MODULE(simmer_mpi, Module)

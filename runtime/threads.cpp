// threads.cpp - the process-wide pool behind ndr_parallel_for.
//
// A call publishes a job of numbered chunks; idle workers join the oldest
// unfinished job and the caller takes chunks of its own job too, so every
// call makes progress even while all workers serve another caller.
#include "runtime/internal.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

namespace {

struct Job {
  void (*fn)(void *, int64_t, int64_t);
  void *ctx;
  int64_t n, chunk, chunks;
  std::atomic<int64_t> next{0};
  int workers = 0; // workers inside the job; guarded by Pool::mutex

  // Runs chunks until none is left.
  void work() {
    for (int64_t c = next++; c < chunks; c = next++) {
      int64_t begin = c * chunk;
      fn(ctx, begin, begin + std::min(chunk, n - begin));
    }
  }
};

// True on pool workers, and on a caller while it runs its own job, so that
// nested calls run inline instead of waiting on a busy pool.
thread_local bool insideParallel = false;

int threadCountFromEnvironment() {
  if (const char *text = std::getenv("NDR_NUM_THREADS")) {
    char *rest;
    long value = std::strtol(text, &rest, 10);
    if (rest != text && *rest == '\0' && value >= 1 && value <= 1024)
      return static_cast<int>(value);
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

class Pool {
public:
  explicit Pool(int count) : threads(count) {
    for (int i = 1; i < threads; ++i)
      std::thread([this] { workerLoop(); }).detach();
  }

  const int threads;

  void run(Job &job) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      jobs.push_back(&job);
    }
    wake.notify_all();
    insideParallel = true;
    job.work();
    insideParallel = false;
    // Once the job is off the queue no worker can join it; wait for those
    // that did, since `job` lives on the caller's stack.
    std::unique_lock<std::mutex> lock(mutex);
    auto found = std::find(jobs.begin(), jobs.end(), &job);
    if (found != jobs.end())
      jobs.erase(found);
    done.wait(lock, [&] { return job.workers == 0; });
  }

private:
  std::mutex mutex;
  std::condition_variable wake, done;
  std::deque<Job *> jobs;

  void workerLoop() {
    insideParallel = true;
    std::unique_lock<std::mutex> lock(mutex);
    while (true) {
      wake.wait(lock, [&] { return !jobs.empty(); });
      Job *job = jobs.front();
      if (job->next.load() >= job->chunks) {
        jobs.pop_front(); // every chunk taken: nothing left to join
        continue;
      }
      ++job->workers;
      lock.unlock();
      job->work();
      lock.lock();
      if (--job->workers == 0)
        done.notify_all();
    }
  }
};

Pool &pool() {
  // Never destroyed: workers are detached and parked for the life of the
  // process, and a call during static destruction still finds the pool.
  static Pool *instance = new Pool(threadCountFromEnvironment());
  return *instance;
}

} // namespace

extern "C" {

int ndr_num_threads(void) { return pool().threads; }

void ndr_parallel_for(int64_t n, void (*fn)(void *ctx, int64_t begin, int64_t end),
                      void *ctx) {
  if (n <= 0)
    return;
  if (insideParallel || n == 1 || pool().threads == 1) {
    fn(ctx, 0, n);
    return;
  }
  // A few chunks per thread balance uneven rows without much overhead.
  int64_t target = std::min<int64_t>(n, int64_t(pool().threads) * 4);
  Job job;
  job.fn = fn;
  job.ctx = ctx;
  job.n = n;
  job.chunk = n / target + (n % target != 0);
  job.chunks = n / job.chunk + (n % job.chunk != 0);
  pool().run(job);
}

} // extern "C"

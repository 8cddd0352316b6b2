// Named crash points: a test build can stop the process dead (SIGKILL) at the k-th pass of one.
#pragma once

namespace tradehost::host {

// Every crash point in the code, in data-flow order. The crash tests run each of them.
constexpr const char* kCrashPoints[] = {
    "intake.after_journal_append",     // record durable, 2xx not yet sent
    "admitter.after_batch_commit",     // signal rows + PENDING legs committed, not yet queued
    "executor.after_submit_commit",    // legs SUBMITTED committed, venue not yet called
    "executor.after_venue_call",       // venue answered, outcome not yet recorded
    "executor.after_outcome_commit",   // outcomes recorded
    "executor.after_deferred_commit",  // a leg the venue deferred is PENDING again, committed
    "resolver.after_query",            // venue queried, result not yet recorded
    "resolver.after_absent_commit",    // ABSENT recorded, next attempt not yet queued
    "tracker.after_query",             // a working order queried, what it said not yet recorded
    "tracker.after_fill_commit",       // a working order's fill recorded
    "events.after_file_append",        // event lines durable, outbox cursor not yet advanced
};

// With TRADEHOST_CRASH_AT="<name>:<k>" in the environment, the k-th call for <name> kills the
// process with SIGKILL: no destructors, no flushes, exactly like `kill -9`. Compiled only when
// TRADEHOST_CRASH_POINTS is defined (test builds); otherwise the macro is nothing.
void crashPoint(const char* name);

}  // namespace tradehost::host

#if defined(TRADEHOST_CRASH_POINTS)
#define TRADEHOST_CRASH_POINT(name) ::tradehost::host::crashPoint(name)
#else
#define TRADEHOST_CRASH_POINT(name) static_cast<void>(0)
#endif

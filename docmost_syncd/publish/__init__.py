"""Publishing: staging, the atomic swap, start-up recovery, the lock and the state file."""

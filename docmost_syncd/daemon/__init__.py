"""The long-running side: scheduler loop, signals, health endpoint, systemd notification."""

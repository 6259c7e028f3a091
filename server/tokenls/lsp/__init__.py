"""The editor front end: handler tables (sync, requests) over an editor core — sessions,
scheduling, code actions — built into a server by ``server.build_server``."""

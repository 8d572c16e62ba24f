"""Sending: campaigns and workflow messages going out (room made; filled by the sending engine).

What will live here: audiences resolved from lists and segments minus suppressions, the per-recipient
send outbox, throttling, and the transports (SMTP, a capture transport for tests, SMS gateways). It runs
as a worker lane registered in ``herald.wiring`` and records what happens through ``herald.interactions``,
never the other way round. It may import every domain below it (webhooks, interactions, messages,
contacts, accounts, jobs, db); nothing below imports it.
"""

"""RQ jobs, one module per domain module: take ids, reload, call services, commit."""

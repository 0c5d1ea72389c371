"""Discord adapter: a standalone bot (`ragbot serve discord`) or an extension loaded into an existing bot."""

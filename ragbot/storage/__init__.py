"""PostgreSQL + pgvector storage: engine, models, migrations and repository functions."""

"""The system of record: SQL models and migrations, chat import, privacy, members and tags, drafts, review, audit."""

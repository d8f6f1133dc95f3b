"""Everything that thinks: LLM factory, tag inference, drafting, checks."""

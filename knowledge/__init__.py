"""Knowledge base: document ingestion, Chinese-aware chunking, facts, embeddings, hybrid retrieval with citations."""

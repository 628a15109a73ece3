"""Index: chunks -> embeddings, FAISS vectors and BM25 -> a fingerprinted index on disk."""

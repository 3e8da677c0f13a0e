"""Message adapters: the standards brokers and partners speak, in and out of our own shapes."""

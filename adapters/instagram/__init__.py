"""Instagram API with Instagram Login: publishing (and connecting) for the Free tier."""

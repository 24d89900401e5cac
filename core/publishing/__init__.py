"""Publishing: the pipeline that claims, sends and settles targets, and what it keeps."""

"""Checking a process model before it runs: safe XML, the engine's parser messages in Chinese, model checks and validation, path coverage, the diff between revisions."""

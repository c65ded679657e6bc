"""The only package importing SpiffWorkflow: safe XML, restricted expressions, definitions, serializer, engine."""

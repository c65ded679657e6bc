"""The designers' process-model API and modeler pages."""

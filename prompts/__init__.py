"""Prompt files, 话术 templates, compliance rule lists and the tag taxonomy: data only, versioned with the code."""

from pathlib import Path

PROMPTS_DIR = Path(__file__).parent

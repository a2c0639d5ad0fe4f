"""What decides, in the grader's process: declarations, cases, comparisons, named mistakes, contracts."""

"""What the kit writes: result files, grade tables, feedback, platform formats, class insight, figures."""

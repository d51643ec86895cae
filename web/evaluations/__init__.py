"""The yearly evaluation's doors: the village's form and signatures, targets, sheets, results."""

"""What designers write, as the domain sees it: findings about a process model, the routing rules' decisions."""

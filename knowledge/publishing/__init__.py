"""What leaves the chat as a whole: weekly digests, LIK reports and the public static site."""

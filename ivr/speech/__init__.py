"""Speech recognition on the premises: Twilio media streams into Vosk (`HOTLINE_ASR=vosk`)."""

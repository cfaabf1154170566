Console.WriteLine("qaas");

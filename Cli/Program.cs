return ElectraLab.Cli.CliApp.Run(args, Console.Out, Console.Error);

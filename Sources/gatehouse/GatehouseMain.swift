import ArgumentParser
import GatehouseCLI

@main
enum GatehouseMain {
    static func main() async {
        await Gatehouse.main()
    }
}
